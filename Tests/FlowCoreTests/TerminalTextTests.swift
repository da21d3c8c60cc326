import FlowCore
import Testing

@Suite("TerminalText: the one escaping rule for terminals")
struct TerminalTextTests {
    static let bidi: [UInt32] = [0x61c, 0x200e, 0x200f] + Array(0x202a...0x202e) + Array(0x2066...0x2069)

    @Test("every C0 control and DEL is escaped, \\t \\r \\n by name")
    func c0() {
        for value in UInt32(0)..<0x20 {
            let scalar = Unicode.Scalar(value)!
            let escaped = TerminalText.escape(String(scalar))
            switch value {
            case 0x09: #expect(escaped == "\\t")
            case 0x0a: #expect(escaped == "\\n")
            case 0x0d: #expect(escaped == "\\r")
            default:
                #expect(escaped == "\\x" + (value < 0x10 ? "0" : "") + String(value, radix: 16))
            }
            #expect(!TerminalText.isSafe(scalar))
        }
        #expect(TerminalText.escape("\u{7f}") == "\\x7f")
        #expect(TerminalText.escape("\u{1b}]0;pwned\u{07}\u{1b}[2J") == "\\x1b]0;pwned\\x07\\x1b[2J")
    }

    @Test("every C1 control (U+0080–U+009F) is escaped")
    func c1() {
        for value in UInt32(0x80)...0x9f {
            let scalar = Unicode.Scalar(value)!
            #expect(!TerminalText.isSafe(scalar))
            #expect(TerminalText.escape("a\(scalar)b") == "a\\x\(String(value, radix: 16))b")
        }
    }

    @Test("bidirectional controls are escaped")
    func bidirectional() {
        for value in Self.bidi {
            let scalar = Unicode.Scalar(value)!
            #expect(!TerminalText.isSafe(scalar), "U+\(String(value, radix: 16))")
            #expect(TerminalText.escape(String(scalar)) == "\\u{\(String(value, radix: 16))}")
        }
    }

    @Test("printable text is left as it is, and escaping twice changes nothing")
    func printable() {
        for text in ["plain ASCII ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", "é日本語🦊 ✓ ½ ß", ""] {
            #expect(TerminalText.escape(text) == text)
        }
        let once = TerminalText.escape("a\u{1b}b\u{9b}c\u{202e}d\u{301}e\u{2028}f\u{e000}")
        #expect(once == "a\\x1bb\\x9bc\\u{202e}d\\u{301}e\\u{2028}f\\u{e000}")
        #expect(TerminalText.escape(once) == once)
        #expect(TerminalText.escape("é", ascii: true) == "\\xe9")
        #expect(TerminalText.escape("日", ascii: true) == "\\u{65e5}")
    }

    @Test("escapeLines keeps line feeds between lines and escapes the rest")
    func lines() {
        #expect(TerminalText.escapeLines("usage:\n  \u{1b}[2J\n") == "usage:\n  \\x1b[2J\n")
    }
}

import FlowEvents
import FlowTapKit
import NIOCore

extension PaneContent {
    /// One shown piece of a chunk: a character or an escape, and the bytes it stands for.
    private struct Token {
        var text: String
        var width: Int
        var start: Int
        var count: Int
        var endsLine: Bool
    }

    /// The text view of one chunk: printable text as it is (UTF-8 when the terminal is; only
    /// ASCII in ASCII mode), `\r` `\n` `\t` `\\` and `\xNN` (`\u{…}` for unprintable
    /// characters) for the rest; a line ends after each `\n` and wraps at the pane's width.
    /// `delta` goes in the Δt column of its first line.
    func textLines(_ chunk: HistoryChunk, _ direction: Direction, delta: UInt64?) -> [PaneLine] {
        let bytes = Array(chunk.bytes.readableBytesView)
        let mark = Self.mark(chunk.kind)
        let room = max(12, width - prefixWidth - (mark?.text.count ?? 0))
        var out: [PaneLine] = []
        var line = PaneLine()
        var used = 0
        func start(first: Bool) {
            line = PaneLine()
            startLine(&line, direction, first: first, delta: delta)
            used = 0
        }
        func finish() {
            if let mark { line.append(mark.text, mark.style) }
            out.append(line)
        }
        start(first: true)
        for token in tokens(bytes) {
            if used + token.width > room && used > 0 {
                finish()
                start(first: false)
            }
            let offset = chunk.offset + token.start
            if line.firstByte == nil { line.firstByte = offset }
            line.append(token.text, byteStyle(chunk, direction, offset))
            used += token.width
            if token.endsLine {
                finish()
                start(first: false)
            }
        }
        if used > 0 || out.isEmpty {
            if bytes.isEmpty { line.append("(empty read)", CellStyle(dim: true)) }
            finish()
        }
        return out
    }

    private func tokens(_ bytes: [UInt8]) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte >= 0x20 && byte < 0x7f {
                let text = byte == 0x5c ? "\\\\" : String(UnicodeScalar(byte))
                out.append(Token(text: text, width: text.count, start: i, count: 1, endsLine: false))
                i += 1
                continue
            }
            if !ascii, byte >= 0xc2, let (scalar, length) = Self.decodeUTF8(bytes, at: i) {
                if let w = DisplayText.width(of: scalar, ascii: false) {
                    out.append(
                        Token(text: String(scalar), width: w, start: i, count: length, endsLine: false))
                } else {
                    let text = DisplayText.escape(scalar)
                    out.append(Token(text: text, width: text.count, start: i, count: length, endsLine: false))
                }
                i += length
                continue
            }
            let text: String
            switch byte {
            case 0x0a: text = "\\n"
            case 0x0d: text = "\\r"
            case 0x09: text = "\\t"
            default: text = "\\x" + DisplayText.hex(byte)
            }
            out.append(Token(text: text, width: text.count, start: i, count: 1, endsLine: byte == 0x0a))
            i += 1
        }
        return out
    }

    /// The scalar encoded at `i` by a valid, shortest UTF-8 sequence of 2 to 4 bytes.
    static func decodeUTF8(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[i]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xc2...0xdf: (length, value) = (2, UInt32(lead & 0x1f))
        case 0xe0...0xef: (length, value) = (3, UInt32(lead & 0x0f))
        case 0xf0...0xf4: (length, value) = (4, UInt32(lead & 0x07))
        default: return nil
        }
        guard i + length <= bytes.count else { return nil }
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xc0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b & 0x3f)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}

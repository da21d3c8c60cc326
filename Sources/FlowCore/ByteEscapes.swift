/// Bytes as typed text and back: the escapes of `--rewrite` and of the editor.
///
/// The text form: printable ASCII (0x20…0x7e) stands for itself, except the backslash;
/// `\r`, `\n`, `\t` are CR, LF and TAB; `\\` is a backslash; `\xNN` (two hex digits, either
/// case) is any byte. Any other character (non-ASCII text typed by a user) stands for its UTF-8
/// bytes. ``encode(_:)`` writes the shortest of these forms (lowercase hex for `\xNN`), and
/// ``decode(_:)`` reads every form, so `decode(encode(bytes)) == bytes` for every byte sequence.
/// The encoded form is printable ASCII: safe for a terminal as it is (see ``TerminalText``).
public enum ByteEscapes {
    /// Why a text is not a valid escaped byte string.
    public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The position of the offending backslash, in characters from 1.
        public var position: Int
        /// What is wrong, e.g. `unknown escape \q`.
        public var reason: String

        /// An error at character `position` (from 1) for `reason`.
        public init(position: Int, reason: String) {
            self.position = position
            self.reason = reason
        }

        /// `REASON at character POSITION`.
        public var description: String { "\(reason) at character \(position)" }
    }

    /// The text form of `bytes`: printable ASCII as is, `\\`, `\r`, `\n`, `\t`, else `\xNN`.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        for byte in bytes { append(byte, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the text form of one byte to the UTF-8 `out` (see ``encode(_:)``). With
    /// `escapingBackslash` false a backslash stands for itself: a form for display only (the
    /// framers' summaries), no longer reversible by ``decode(_:)``, still printable ASCII.
    @inlinable
    public static func append(_ byte: UInt8, to out: inout [UInt8], escapingBackslash: Bool = true) {
        switch byte {
        case 0x5c where escapingBackslash: out += [0x5c, 0x5c]
        case 0x20...0x7e: out.append(byte)
        case 0x09: out += [0x5c, UInt8(ascii: "t")]
        case 0x0a: out += [0x5c, UInt8(ascii: "n")]
        case 0x0d: out += [0x5c, UInt8(ascii: "r")]
        default: out += [0x5c, UInt8(ascii: "x"), hexDigit(byte >> 4), hexDigit(byte & 15)]
        }
    }

    /// How many characters ``append(_:to:escapingBackslash:)`` writes for `byte`.
    @inlinable
    public static func width(of byte: UInt8, escapingBackslash: Bool = true) -> Int {
        switch byte {
        case 0x5c where escapingBackslash: 2
        case 0x20...0x7e: 1
        case 0x09, 0x0a, 0x0d: 2
        default: 4
        }
    }

    @usableFromInline
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }

    /// The bytes a text form stands for.
    /// - Throws: ``DecodeError`` for an unknown escape (`unknown escape \q`), a `\x` without two
    ///   hex digits (`\x needs two hex digits`), or a backslash ending the text
    ///   (`a lone \ at the end`).
    public static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        var out: [UInt8] = []
        let characters = Array(text.unicodeScalars)
        var i = 0
        while i < characters.count {
            let c = characters[i]
            guard c == "\\" else {
                out += Array(String(c).utf8)
                i += 1
                continue
            }
            guard i + 1 < characters.count else {
                throw DecodeError(position: i + 1, reason: "a lone \\ at the end")
            }
            switch characters[i + 1] {
            case "r": out.append(0x0d)
            case "n": out.append(0x0a)
            case "t": out.append(0x09)
            case "\\": out.append(0x5c)
            case "x":
                guard i + 3 < characters.count, let high = hexValue(characters[i + 2]),
                    let low = hexValue(characters[i + 3])
                else {
                    throw DecodeError(position: i + 1, reason: "\\x needs two hex digits")
                }
                out.append(high << 4 | low)
                i += 2
            case let other:
                throw DecodeError(position: i + 1, reason: "unknown escape \\\(other)")
            }
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt8? {
        switch c.value {
        case 0x30...0x39: UInt8(c.value - 0x30)
        case 0x41...0x46: UInt8(c.value - 0x41 + 10)
        case 0x61...0x66: UInt8(c.value - 0x61 + 10)
        default: nil
        }
    }
}

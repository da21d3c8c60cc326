/// Text made safe for a terminal: the one escaping rule for every string that came from outside
/// (the network, a peer's address, a file, an argument) on its way to a terminal, in every
/// output (headless text, hex dumps, JSON Lines, the curses UI, and error messages on stderr).
///
/// A scalar is written as it is only when a terminal shows it as a glyph and never acts on it:
/// printable ASCII, and above it any assigned, printable, non-combining scalar. These are
/// escaped: C0 controls and DEL (U+0000–U+001F, U+007F), C1 controls (U+0080–U+009F, e.g. CSI
/// U+009B), format characters (the bidirectional controls U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069, zero-width and soft-hyphen characters), combining marks, line
/// and paragraph separators, surrogates, private-use and unassigned scalars. With `ascii`, every
/// scalar above U+007E is escaped too.
///
/// The escapes: `\t`, `\r`, `\n` by name, `\xNN` (two lowercase hex digits) below U+0100,
/// `\u{…}` (lowercase hex) above. A backslash is not escaped, so escaping is idempotent: text
/// already escaped (by this type or by ``ByteEscapes/encode(_:)``) comes back unchanged, and an
/// escape shown on a terminal may also be a backslash that was in the text.
public enum TerminalText {
    /// Whether `scalar` may be written to a terminal as it is (see the type's rules).
    public static func isSafe(_ scalar: Unicode.Scalar, ascii: Bool = false) -> Bool {
        let value = scalar.value
        if value < 0x80 { return value >= 0x20 && value != 0x7f }
        if ascii || value < 0xa0 { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .nonspacingMark, .spacingMark,
            .enclosingMark, .lineSeparator, .paragraphSeparator:
            return false
        default:
            return true
        }
    }

    /// `text` with every scalar that is not safe (``isSafe(_:ascii:)``) escaped; one line, since
    /// line breaks are escaped too. Text that is already safe comes back as it is.
    public static func escape(_ text: String, ascii: Bool = false) -> String {
        // Printable ASCII (nearly every line): one pass over the contiguous bytes.
        let printable = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
        }
        if printable ?? text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return text }
        if text.unicodeScalars.allSatisfy({ isSafe($0, ascii: ascii) }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if isSafe(scalar, ascii: ascii) {
                out.unicodeScalars.append(scalar)
            } else {
                out += escape(scalar)
            }
        }
        return out
    }

    /// ``escape(_:ascii:)`` line by line: the line feeds between lines are kept, for messages of
    /// several lines (usage texts); every other unsafe scalar is escaped.
    public static func escapeLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }
            .joined(separator: "\n")
    }

    /// The escape of one scalar: `\t`, `\r`, `\n`, `\xNN` below U+0100, `\u{…}` above.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "\n": return "\\n"
        default:
            if scalar.value < 0x100 { return "\\x" + hex(UInt8(scalar.value)) }
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    /// Two lowercase hex digits: `0x1b` is `1b`.
    public static func hex(_ byte: UInt8) -> String {
        // Written as two UTF-8 code units: a frame of the hex view asks for thousands of these
        // (an array of Characters built per call cost ~4,700 instructions each).
        String(unsafeUninitializedCapacity: 2) { buffer in
            buffer[0] = ByteEscapes.hexDigit(byte >> 4)
            buffer[1] = ByteEscapes.hexDigit(byte & 15)
            return 2
        }
    }
}

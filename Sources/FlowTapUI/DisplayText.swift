/// Terminal widths and safe text: what may be put in a ``CellGrid`` cell, and how anything
/// else is written instead.
///
/// A scalar is shown as it is only when it is printable and its width is known: one column,
/// or two for East Asian wide characters and emoji. Control characters (C0, DEL, C1), format
/// characters, combining marks, separators, surrogates, private-use and unassigned scalars are
/// escaped (`\u{301}`), so what the terminal shows always lines up with the grid.
enum DisplayText {
    /// The columns `scalar` takes, or `nil` when it must not be sent to a terminal as it is.
    static func width(of scalar: Unicode.Scalar, ascii: Bool) -> Int? {
        let value = scalar.value
        if value < 0x80 { return value >= 0x20 && value != 0x7f ? 1 : nil }
        if ascii || value < 0xa0 { return nil }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .nonspacingMark, .spacingMark,
            .enclosingMark, .lineSeparator, .paragraphSeparator:
            return nil
        default:
            break
        }
        if value == 0xad { return nil }
        return isWide(value) || scalar.properties.isEmojiPresentation ? 2 : 1
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115f, 0x2e80...0x303e, 0x3041...0x33ff, 0x3400...0x4dbf, 0x4e00...0x9fff,
            0xa000...0xa4cf, 0xac00...0xd7a3, 0xf900...0xfaff, 0xfe30...0xfe4f, 0xff00...0xff60,
            0xffe0...0xffe6, 0x1f300...0x1f64f, 0x1f900...0x1f9ff, 0x20000...0x3fffd:
            true
        default:
            false
        }
    }

    /// `text` with every scalar that cannot be shown as it is (see ``width(of:ascii:)``)
    /// escaped: `\t`, `\r`, `\n` and `\xNN` below U+0100 (C0, DEL, C1 and, in ASCII mode,
    /// Latin-1), `\u{…}` above.
    static func sanitize(_ text: String, ascii: Bool) -> String {
        if text.unicodeScalars.allSatisfy({ width(of: $0, ascii: ascii) != nil }) { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if width(of: scalar, ascii: ascii) != nil {
                out.unicodeScalars.append(scalar)
            } else {
                out += escape(scalar)
            }
        }
        return out
    }

    /// The escape of one scalar that cannot be shown.
    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "\n": return "\\n"
        default:
            if scalar.value < 0x100 { return "\\x" + hex(UInt8(scalar.value)) }
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    /// Two lower-case hex digits.
    static func hex(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// The columns a sanitized `text` takes.
    static func width(_ text: String, ascii: Bool) -> Int {
        text.unicodeScalars.reduce(0) { $0 + (width(of: $1, ascii: ascii) ?? 1) }
    }

    /// `text` sanitized and cut to at most `columns` columns, ending in `…` (`~` in ASCII mode)
    /// when cut.
    static func fit(_ text: String, _ columns: Int, ascii: Bool) -> String {
        let safe = sanitize(text, ascii: ascii)
        guard columns > 0 else { return "" }
        if width(safe, ascii: ascii) <= columns { return safe }
        var out = ""
        var used = 0
        for scalar in safe.unicodeScalars {
            let w = width(of: scalar, ascii: ascii) ?? 1
            if used + w > columns - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + (ascii ? "~" : "…")
    }

    /// `text` fitted to exactly `columns` columns: cut as ``fit(_:_:ascii:)`` does, or padded
    /// with spaces (on the left when `right` is true).
    static func pad(_ text: String, _ columns: Int, ascii: Bool, right: Bool = false) -> String {
        let cut = fit(text, columns, ascii: ascii)
        let spaces = String(repeating: " ", count: max(0, columns - width(cut, ascii: ascii)))
        return right ? spaces + cut : cut + spaces
    }
}

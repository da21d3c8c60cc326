import FlowCore

/// Terminal widths and safe text: what may be put in a ``CellGrid`` cell, and how anything
/// else is written instead.
///
/// A scalar is shown as it is only when ``FlowCore/TerminalText`` says it is safe (the one
/// escaping rule of every output), and then it takes one column, or two for East Asian wide
/// characters and emoji. Anything else is escaped as ``FlowCore/TerminalText`` escapes it
/// (`\u{301}`), so what the terminal shows always lines up with the grid.
enum DisplayText {
    /// The columns `scalar` takes, or `nil` when it must not be sent to a terminal as it is.
    static func width(of scalar: Unicode.Scalar, ascii: Bool) -> Int? {
        guard TerminalText.isSafe(scalar, ascii: ascii) else { return nil }
        if scalar.value < 0x80 { return 1 }
        return isWide(scalar.value) || scalar.properties.isEmojiPresentation ? 2 : 1
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

    /// `text` with every scalar that cannot be shown as it is escaped
    /// (``FlowCore/TerminalText/escape(_:ascii:)``).
    static func sanitize(_ text: String, ascii: Bool) -> String {
        TerminalText.escape(text, ascii: ascii)
    }

    /// The escape of one scalar that cannot be shown (``FlowCore/TerminalText/escape(_:)``).
    static func escape(_ scalar: Unicode.Scalar) -> String { TerminalText.escape(scalar) }

    /// Two lower-case hex digits.
    static func hex(_ byte: UInt8) -> String { TerminalText.hex(byte) }

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

import FlowCore
import FlowTapKit

extension ChunkEditor {
    /// ``text`` wrapped at `width` columns (at least 1) as a ``CellGrid`` shows it (`ascii` as
    /// ``CellGrid/ascii``), with the cursor's place.
    ///
    /// Each character is shown as it is when the grid can show it (one column, two for a wide
    /// character); any other (non-ASCII on an ASCII grid, a combining mark…) is shown as the
    /// ``ByteEscapes`` escapes of its UTF-8 bytes (`é` as `\xc3\xa9`), which stand for the same
    /// bytes. A character is never split between lines; one wider than `width` gets a line of
    /// its own (and is cut when drawn). A text whose last line is full ends with an empty
    /// line, and an empty text is one empty line, so the cursor's line always exists.
    ///
    /// - Returns: the lines, terminal-safe; the cursor's line (an index into `lines`); and its
    ///   column on that line (from 0), the first column of the character after the cursor, so
    ///   a cursor after the last character of a full line is at the start of the next line.
    public func lines(width: Int, ascii: Bool = false) -> (
        lines: [String], cursorLine: Int, cursorColumn: Int
    ) {
        let width = max(1, width)
        var lines: [String] = []
        var current = ""
        var used = 0
        var cursorLine = 0
        var cursorColumn = 0
        for (index, c) in text.enumerated() {
            let shown = Self.shown(c, ascii: ascii)
            let w = Self.columns(of: c, ascii: ascii)
            if used > 0 && used + w > width {
                lines.append(current)
                current = ""
                used = 0
            }
            if index == cursor {
                cursorLine = lines.count
                cursorColumn = used
            }
            current += shown
            used += w
        }
        if used >= width {
            lines.append(current)
            current = ""
            used = 0
        }
        lines.append(current)
        if cursor >= text.count {
            cursorLine = lines.count - 1
            cursorColumn = used
        }
        return (lines, cursorLine, cursorColumn)
    }

    /// How `c` is shown (see ``lines(width:ascii:)``): itself, or the escapes of its bytes.
    static func shown(_ c: Character, ascii: Bool) -> String {
        if c.unicodeScalars.allSatisfy({ DisplayText.width(of: $0, ascii: ascii) != nil }) {
            return String(c)
        }
        return ByteEscapes.encode(String(c).utf8)
    }

    /// The columns `c` takes as ``shown(_:ascii:)`` shows it.
    static func columns(of c: Character, ascii: Bool) -> Int {
        let scalars = c.unicodeScalars
        if scalars.count == 1, let v = scalars.first?.value, v >= 0x20 && v < 0x7f { return 1 }
        return DisplayText.width(shown(c, ascii: ascii), ascii: ascii)
    }
}

/// A screen drawn in memory: `width` × `height` cells, each a printable character and a style.
/// ``ScreenRenderer`` draws into it; the terminal backend copies it to curses; tests read it.
///
/// Writing never goes past the grid's edges, never splits a character two columns wide (one
/// that does not fit is left out) and never stores a control character: a scalar that cannot be
/// shown as it is is written escaped (`\x1b`, `\u{200b}`).
public struct CellGrid: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// The cells, row by row.
    public private(set) var cells: [Cell]
    /// True when only ASCII may be stored: other scalars are written escaped.
    public let ascii: Bool

    /// A blank grid (spaces, plain style); negative sizes count as 0.
    public init(width: Int, height: Int, ascii: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.ascii = ascii
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    /// The cell at column `x`, row `y` (both from 0; must be inside the grid).
    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes `text` from column `x` of row `y` in `style`, stopping at the grid's edge or at
    /// column `limit` (exclusive), and returns the column after the last one written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, limit: Int? = nil)
        -> Int
    {
        guard y >= 0 && y < height else { return x }
        let end = min(width, limit ?? width)
        var column = max(0, x)
        for scalar in DisplayText.sanitize(text, ascii: ascii).unicodeScalars {
            let w = DisplayText.width(of: scalar, ascii: ascii) ?? 1
            guard column + w <= end else { break }
            clearWide(at: column, y)
            cells[y * width + column] = Cell(scalar: scalar, style: style)
            if w == 2 {
                clearWide(at: column + 1, y)
                cells[y * width + column + 1] = Cell(scalar: " ", style: style, isContinuation: true)
            }
            column += w
        }
        return column
    }

    /// Sets the style of the cells `from..<to` of row `y` (clipped to the grid).
    public mutating func setStyle(_ style: CellStyle, y: Int, from: Int = 0, to: Int? = nil) {
        guard y >= 0 && y < height else { return }
        for x in max(0, from)..<max(max(0, from), min(width, to ?? width)) {
            cells[y * width + x].style = style
        }
    }

    /// Fills row `y` from column `from` to the end (or `to`) with `character` in `style`.
    public mutating func fill(
        _ character: Character = " ", y: Int, from: Int = 0, to: Int? = nil, style: CellStyle = .plain
    ) {
        guard y >= 0 && y < height else { return }
        let cell = Cell(character, style: style)
        for x in max(0, from)..<max(max(0, from), min(width, to ?? width)) {
            clearWide(at: x, y)
            cells[y * width + x] = cell
        }
    }

    /// The text of row `y`: one character per column (a wide character once), trailing spaces kept.
    public func line(_ y: Int) -> String {
        var out = ""
        for x in 0..<width where !cells[y * width + x].isContinuation {
            out.unicodeScalars.append(cells[y * width + x].scalar)
        }
        return out
    }

    /// Every row's text.
    public var lines: [String] { (0..<height).map(line) }

    /// Every row's text without trailing spaces, joined with newlines (for tests and reports).
    public var text: String {
        lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }

    /// Overwriting half of a wide character blanks its other half.
    private mutating func clearWide(at x: Int, _ y: Int) {
        guard x < width else { return }
        let index = y * width + x
        if cells[index].isContinuation, x > 0 {
            cells[index - 1] = Cell(scalar: " ", style: cells[index - 1].style)
        } else if x + 1 < width, cells[index + 1].isContinuation {
            cells[index + 1] = Cell(scalar: " ", style: cells[index + 1].style)
        }
        cells[index].isContinuation = false
    }
}

/// One cell of a ``CellGrid``: a character (one printable Unicode scalar, never a control
/// character) and its style. A character two columns wide fills its cell and the next one,
/// which is then a continuation cell.
///
/// The scalar is stored as it is (not as a `Character`): a frame writes and compares thousands
/// of cells, and the terminal backend hands the scalar's value to curses directly.
public struct Cell: Sendable, Equatable {
    /// The scalar shown; a space when empty; unused in a continuation cell.
    public var scalar: Unicode.Scalar
    /// How it is drawn.
    public var style: CellStyle
    /// True for the right half of a character two columns wide.
    public var isContinuation: Bool

    /// The character shown (``scalar`` as a `Character`).
    public var character: Character { Character(scalar) }

    /// A cell showing `scalar` in `style`.
    public init(scalar: Unicode.Scalar = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        self.scalar = scalar
        self.style = style
        self.isContinuation = isContinuation
    }

    /// A cell showing `character` in `style`: its first scalar (a cell holds one; a space for
    /// none).
    public init(_ character: Character, style: CellStyle = .plain, isContinuation: Bool = false) {
        self.init(
            scalar: character.unicodeScalars.first ?? " ", style: style, isContinuation: isContinuation)
    }
}

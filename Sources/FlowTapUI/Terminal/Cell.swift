/// One cell of a ``CellGrid``: a character (one printable Unicode scalar, never a control
/// character) and its style. A character two columns wide fills its cell and the next one,
/// which is then a continuation cell.
public struct Cell: Sendable, Equatable {
    /// The character shown; a space when empty; unused in a continuation cell.
    public var character: Character
    /// How it is drawn.
    public var style: CellStyle
    /// True for the right half of a character two columns wide.
    public var isContinuation: Bool

    /// A cell showing `character` in `style`.
    public init(_ character: Character = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        self.character = character
        self.style = style
        self.isContinuation = isContinuation
    }
}

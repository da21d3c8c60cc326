/// How a cell is drawn: attributes that work on every terminal, plus a ``ColorRole`` used
/// when the terminal has colors.
public struct CellStyle: Sendable, Equatable, Hashable {
    /// Bold (bright) text.
    public var bold: Bool
    /// Reverse video (foreground and background swapped).
    public var reverse: Bool
    /// Dim text.
    public var dim: Bool
    /// What the text is, for coloring.
    public var role: ColorRole

    /// A style from its parts; the default is plain text.
    public init(bold: Bool = false, reverse: Bool = false, dim: Bool = false, role: ColorRole = .normal) {
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
        self.role = role
    }

    /// Plain text, default colors.
    public static let plain = CellStyle()
}

/// What a cell's text is, for coloring: the terminal backend maps each role to a color pair
/// when the terminal has colors; every role is readable without colors too (see ``CellStyle``).
public enum ColorRole: Int, Sendable, Equatable, CaseIterable {
    /// Ordinary text, the terminal's default colors.
    case normal
    /// The title line and pane titles.
    case title
    /// Client → server bytes and markers.
    case c2s
    /// Server → client bytes and markers.
    case s2c
    /// Error states and error messages.
    case error
    /// A held chunk (read, not yet delivered) and the paused state.
    case held
    /// A search match.
    case match
    /// The key-help footer, the help overlay and messages.
    case help
}

/// A scroll asked for by a key and carried out by the next ``ScreenRenderer/render(_:_:width:height:)``,
/// which knows the lines: the renderer turns it into a ``ScrollAnchor`` (or back to following).
public enum ScrollRequest: Sendable, Equatable {
    /// Move by this many lines (negative: up). Moving down to the tail follows it again;
    /// `lines(0)` stops following where the pane is.
    case lines(Int)
    /// The first kept line.
    case top
    /// Show the search match (``SearchState/match``).
    case match
}

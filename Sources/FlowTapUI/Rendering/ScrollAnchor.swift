import FlowEvents
import FlowTapKit

/// Where a pane that does not follow the tail is scrolled to: the chunk at the top (named by
/// its direction and byte offset, which stay valid as new chunks arrive) and the line of that
/// chunk shown first.
public struct ScrollAnchor: Sendable, Equatable {
    /// The direction of the chunk at the top.
    public var direction: Direction
    /// The chunk's byte offset in its direction (-1: the note about dropped history).
    public var offset: Int
    /// The line of the chunk shown on the pane's first row.
    public var line: Int

    /// An anchor from its parts.
    public init(direction: Direction, offset: Int, line: Int) {
        self.direction = direction
        self.offset = offset
        self.line = line
    }
}

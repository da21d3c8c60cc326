import FlowEvents

/// One byte the engine wants the user to look at, e.g. where a replay's answers first differ
/// from the capture's.
public struct ByteMark: Sendable, Equatable {
    /// The session the byte is in.
    public var session: Int
    /// The direction the byte is in.
    public var direction: Direction
    /// The direction's byte offset.
    public var offset: Int

    /// A mark from its parts.
    public init(session: Int, direction: Direction, offset: Int) {
        self.session = session
        self.direction = direction
        self.offset = offset
    }
}

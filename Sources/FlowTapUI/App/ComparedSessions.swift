/// Two sessions to read one above the other, byte offsets aligned: a captured session and its
/// replay (`flowtap replay` in a terminal).
public struct ComparedSessions: Sendable, Equatable {
    /// The session compared against (the capture), drawn on top.
    public var original: Int
    /// The session compared (the replay), drawn below; its pane scrolls, the other follows it.
    public var replay: Int

    /// A pair from its parts.
    public init(original: Int, replay: Int) {
        self.original = original
        self.replay = replay
    }
}

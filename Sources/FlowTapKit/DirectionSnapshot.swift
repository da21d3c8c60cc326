/// What the user sees of one direction of a session at one moment.
public struct DirectionSnapshot: Sendable {
    /// Open, EOF, shut, closed, or an error.
    public var phase: DirectionPhase = .open
    /// Every byte read from the source so far (not bounded by the history).
    public var bytes = 0
    /// Every chunk read so far.
    public var chunks = 0
    /// True while the user holds the direction.
    public var paused = false
    /// The size of the chunk held by the gate, read and not yet delivered; `nil` when none.
    public var heldBytes: Int?
    /// Bytes per second over the last whole second.
    public var rate: Double = 0
    /// The chunks kept for display, oldest first.
    public var history: [HistoryChunk] = []
    /// Bytes dropped from the front of the history (the offset of its first kept byte).
    public var droppedBytes = 0
    /// The faults active on the direction, in `--fault`'s form (`"latency=200ms"`), in the order
    /// they were applied; for the pane's title.
    public var faults: [String] = []

    /// An open direction with nothing read.
    public init() {}
}

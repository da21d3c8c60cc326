import FlowEvents

/// What the user sees of one direction of a session at one moment.
public struct DirectionSnapshot: Sendable {
    /// Open, EOF, shut, closed, or an error.
    public var phase: DirectionPhase = .open
    /// Every byte passed on to the destination so far (read, edited or injected; not bounded
    /// by the history).
    public var bytes = 0
    /// Every chunk passed on so far.
    public var chunks = 0
    /// True while the user holds the direction.
    public var paused = false
    /// The chunk held by the gate, read and not yet delivered; `nil` when none.
    public var held: HeldChunk?
    /// When ``held`` was read.
    public var heldSince: UInt64 = 0
    /// Bytes per second over the last whole second.
    public var rate: Double = 0
    /// The chunks kept for display, oldest first.
    public var history: [HistoryChunk] = []
    /// Bytes of chunks not kept in the history (see ``History``).
    public var droppedBytes = 0
    /// The byte offsets not kept between the history's head and tail, if any (see ``History/cut``).
    public var cut: Range<Int>?
    /// The faults active on the direction, in `--fault`'s form (`"latency=200ms"`), in the order
    /// they were applied; for the pane's title.
    public var faults: [String] = []
    /// Decoded messages seen in the direction (kept or not).
    public var messages = 0
    /// The first `decode_error` of the direction, if any: the rest went on undecoded.
    public var decodeError: DecodeFailure?
    /// `decode_error` events seen in the direction (a decoder reports at most one).
    public var decodeErrors = 0

    /// The size of the held chunk; `nil` when none.
    public var heldBytes: Int? { held?.bytes.readableBytes }

    /// What the user has seen come from the source and not lost: the bytes passed on plus the
    /// held chunk (the counts the panes and the session list show).
    public var seenBytes: Int { bytes + (heldBytes ?? 0) }

    /// The chunks passed on plus the held one.
    public var seenChunks: Int { chunks + (held == nil ? 0 : 1) }

    /// The held chunk as a history record (kind ``HistoryChunk/Kind/held``) at the offset it
    /// would be sent at; `nil` when none.
    public var heldChunk: HistoryChunk? {
        held.map { HistoryChunk(offset: bytes, timestamp: heldSince, bytes: $0.bytes, kind: .held) }
    }

    /// An open direction with nothing read.
    public init() {}
}

/// The bookkeeping of a ``FrameConversation`` that its engine reports into: each side's offsets,
/// message numbers and mode, and the ``FrameFeed`` of the call in progress.
struct Ledger: Sendable {
    /// One side's counters.
    struct Side: Sendable {
        /// Bytes fed so far (including the piece being consumed).
        var fed = 0
        /// The end of the side's last message: where the next one starts.
        var lastEnd = 0
        /// The index the next message gets.
        var nextIndex = 0
        /// How the side's bytes are treated.
        var mode = MessageProgress.Mode.decoding
    }

    private var client = Side()
    private var server = Side()
    /// What the call in progress found.
    var feed = FrameFeed()

    /// `side`'s counters.
    subscript(side: FrameSide) -> Side {
        get { side == .client ? client : server }
        set {
            if side == .client { client = newValue } else { server = newValue }
        }
    }

    /// Whether `side` is still decoded.
    func isDecoding(_ side: FrameSide) -> Bool { self[side].mode == .decoding }

    /// Reports `side`'s next message, from the end of its last one to `end` (exclusive), and
    /// returns its index.
    @discardableResult
    mutating func emit(
        _ side: FrameSide, end: Int, summary: String, reply: ReplyPairing? = nil,
        awaitsReply: Bool = false, truncated: Bool = false
    ) -> Int {
        var counters = self[side]
        let index = counters.nextIndex
        feed.messages.append(
            FramedMessage(
                side: side, index: index, offset: counters.lastEnd, byteCount: end - counters.lastEnd,
                summary: summary, reply: reply, awaitsReply: awaitsReply, isTruncated: truncated))
        counters.nextIndex += 1
        counters.lastEnd = end
        self[side] = counters
        return index
    }

    /// The index `side`'s next message will get.
    func nextIndex(_ side: FrameSide) -> Int { self[side].nextIndex }

    /// Reports that `side` cannot be parsed at `offset` (once: a side that is not decoding is
    /// left as it is) and stops decoding it.
    mutating func fail(_ side: FrameSide, at offset: Int, _ reason: String) {
        guard isDecoding(side) else { return }
        feed.decodeErrors.append(
            FrameDecodeError(side: side, offset: offset, messageOffset: self[side].lastEnd, reason: reason))
        self[side].mode = .failed
    }

    /// Stops decoding `side` by protocol, from the end of its last message (a side that is not
    /// decoding is left as it is).
    mutating func goRaw(_ side: FrameSide, _ reason: String) {
        guard isDecoding(side) else { return }
        feed.rawSwitches.append(RawSwitch(side: side, offset: self[side].lastEnd, reason: reason))
        self[side].mode = .raw
    }

    /// Sets `side`'s mode without reporting anything (a decision, the end).
    mutating func setMode(_ side: FrameSide, _ mode: MessageProgress.Mode) { self[side].mode = mode }

    /// Hands over what the call found and starts afresh for the next call.
    mutating func take() -> FrameFeed {
        defer { feed = FrameFeed() }
        return feed
    }
}

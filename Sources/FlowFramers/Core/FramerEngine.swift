/// The decoder of one protocol inside a ``FrameConversation``: both directions' parsers and the
/// state that crosses them. Internal: callers use ``FrameConversation``.
///
/// The conversation hands an engine only the bytes of a side whose mode is `decoding`, never an
/// empty piece, and counts the bytes itself. An engine reports through the ``Ledger``; after it
/// calls ``Ledger/fail(_:at:_:)`` or ``Ledger/goRaw(_:_:)`` for the side it is consuming, it
/// returns without looking at the rest of the piece.
protocol FramerEngine: Sendable {
    /// Consumes `bytes` of `side`, whose first byte is at stream offset `base`.
    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger)
    /// The side's end of stream. An engine completes a message that ends at close (an HTTP
    /// body without length); the conversation reports any other unfinished message truncated.
    mutating func finish(_ side: FrameSide, _ ledger: inout Ledger)
    /// The exact bytes still needed to finish `side`'s message in progress, when known.
    func remaining(_ side: FrameSide) -> Int?
    /// The summary of `side`'s unfinished message, for a truncated message at the end.
    func partialSummary(_ side: FrameSide) -> String
}

extension FramerEngine {
    func remaining(_ side: FrameSide) -> Int? { nil }
    mutating func finish(_ side: FrameSide, _ ledger: inout Ledger) {}
}

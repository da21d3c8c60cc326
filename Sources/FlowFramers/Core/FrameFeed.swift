/// What one ``FrameConversation/feed(_:_:)`` or ``FrameConversation/end(_:)`` call found.
///
/// A flow wrapper cuts the bytes it was fed at each message's ``FramedMessage/end`` (all the
/// messages of one feed are of the side that was fed, in order), forwards the pieces, and
/// emits each message's event after the piece that ends it. Errors and raw switches may
/// concern the other side too (an HTTP `101` on the server side makes the client side raw).
public struct FrameFeed: Sendable, Hashable {
    /// The messages completed by this call, in stream order.
    public var messages: [FramedMessage] = []
    /// At most one per side over the whole conversation (see ``FrameDecodeError``).
    public var decodeErrors: [FrameDecodeError] = []
    /// Directions that went raw by protocol during this call.
    public var rawSwitches: [RawSwitch] = []
    /// Set on the call that made an `auto` conversation decide (to the decoder chosen, possibly
    /// ``DecoderSpec/none``); nil on every other call.
    public var decided: DecoderSpec?

    /// An empty result.
    public init() {}

    /// Whether nothing happened (no message, error, switch or decision).
    public var isEmpty: Bool {
        messages.isEmpty && decodeErrors.isEmpty && rawSwitches.isEmpty && decided == nil
    }

    /// The offsets, relative to the start of the fed bytes (which began at stream offset
    /// `start`), where the fed piece must be cut so that no part carries two messages: each
    /// message end inside the piece, excluding the piece's own end. E.g. a 30-byte piece from
    /// offset 100 holding messages ending at 110 and 130 gives `[10]`.
    public func cuts(forPieceAt start: Int, count: Int) -> [Int] {
        messages.compactMap { message in
            let cut = message.end - start
            return cut > 0 && cut < count ? cut : nil
        }
    }
}

/// A direction's stream that its framer could not parse; reported once per side.
///
/// After the error the side passes raw: its bytes are still counted, no more of its messages
/// are reported. Which protocols also give up on the other side is documented on each framer
/// (in short: none does; each direction's messages delimit themselves, and the other side
/// decodes on, with pairing only for requests decoded before the error).
public struct FrameDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The direction that could not be parsed.
    public var side: FrameSide
    /// The offset, in that direction's stream, of the first byte the framer could not accept.
    public var offset: Int
    /// Where the message in which it happened started (``offset`` when it was the first byte).
    public var messageOffset: Int
    /// What was wrong, for a person: e.g. `RESP bulk length 4611686018427387904 over 2 GiB`.
    /// Peer bytes in it are escaped like a summary's.
    public var reason: String

    /// An error on `side` at `offset` (in a message starting at `messageOffset`) for `reason`.
    public init(side: FrameSide, offset: Int, messageOffset: Int, reason: String) {
        self.side = side
        self.offset = offset
        self.messageOffset = messageOffset
        self.reason = reason
    }

    /// `SIDE at OFFSET: REASON`.
    public var description: String { "\(side) at \(offset): \(reason)" }
}

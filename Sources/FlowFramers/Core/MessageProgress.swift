/// Where one direction of a ``FrameConversation`` stands: what a paused direction consults to
/// gather a whole message before holding it.
public struct MessageProgress: Sendable, Hashable {
    /// How a direction's bytes are being treated.
    public enum Mode: Sendable, Hashable {
        /// An `auto` conversation that has seen no byte yet, in either direction.
        case undecided
        /// Bytes are decoded into messages.
        case decoding
        /// Bytes are counted, never decoded: decoder `none`, or a ``RawSwitch`` by protocol.
        case raw
        /// A ``FrameDecodeError`` was reported; bytes are counted, never decoded.
        case failed
        /// ``FrameConversation/end(_:)`` was called.
        case ended
    }

    /// How the direction's bytes are being treated now.
    public var mode: Mode
    /// The bytes fed so far for this direction.
    public var bytesFed: Int
    /// Where the message now in progress starts (the end of the last message); meaningful while
    /// ``mode`` is ``Mode/decoding``.
    public var messageOffset: Int
    /// The exact number of bytes still needed to finish the message in progress, when the
    /// framer knows it (inside a body of known length, after a length field); nil when it does
    /// not (in a header line, a chunked body, a RESP aggregate) or when no message is in
    /// progress.
    public var remaining: Int?

    /// Bytes of an unfinished message fed so far (0 when the last byte fed ended a message).
    public var bytesInMessage: Int { mode == .decoding ? bytesFed - messageOffset : 0 }

    /// Whether some bytes of an unfinished message were fed: a paused direction that wants
    /// whole messages reads on while this is true (up to its own bound).
    public var isInMessage: Bool { bytesInMessage > 0 }

    /// A progress record with every field given.
    public init(mode: Mode, bytesFed: Int, messageOffset: Int, remaining: Int?) {
        self.mode = mode
        self.bytesFed = bytesFed
        self.messageOffset = messageOffset
        self.remaining = remaining
    }
}

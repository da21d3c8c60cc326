/// One protocol message a decoder (`--decode`) found in a direction: what a `message` event
/// says about it.
///
/// `offset` and `bytes` locate it in its direction's stream as the decoder read it (the bytes
/// read from the source, after `--rewrite`); while nothing was edited, dropped or injected,
/// these are the offsets of the `data` events too.
public struct DecodedMessage: Sendable, Equatable {
    /// The decoder's name as `--decode` spells it (`http`, `resp`, `postgres`, `mqtt`, `lines`),
    /// `len` for every `len:SPEC` (JSON `proto`).
    public var proto: String
    /// The message's number in its direction, from 0 (JSON `index`).
    public var index: Int
    /// Where it starts in its direction's stream (JSON `offset`).
    public var offset: Int
    /// Its length in bytes, at least 1 (JSON `bytes`).
    public var bytes: Int
    /// One line for a person (`SET k v`, `HTTP/1.1 200 OK`, `Query: SELECT 1`): the peer's
    /// bytes in it are escaped already, and it has no line breaks (JSON `summary`).
    public var summary: String
    /// For a reply: the index of the other direction's message it answers (JSON `request`).
    public var request: Int?
    /// For the first reply to a request: from the request's last byte to this reply's first
    /// byte, in nanoseconds (JSON `latency_ms`, milliseconds with three decimals).
    public var latency: UInt64?
    /// The stream ended before the message was whole (JSON `truncated: true`, else absent).
    public var truncated: Bool

    /// A message with every field given.
    public init(
        proto: String, index: Int, offset: Int, bytes: Int, summary: String, request: Int? = nil,
        latency: UInt64? = nil, truncated: Bool = false
    ) {
        self.proto = proto
        self.index = index
        self.offset = offset
        self.bytes = bytes
        self.summary = summary
        self.request = request
        self.latency = latency
        self.truncated = truncated
    }
}

/// One whole message that a ``FrameConversation`` found in one direction's byte stream.
///
/// Offsets count the bytes of that direction from 0 (the first byte ever fed for `side`).
/// While a side decodes, its messages are contiguous: each starts where the previous one ended
/// (bytes that belong to no message, e.g. HTTP's optional empty lines before a request, are
/// counted in the message that follows them).
public struct FramedMessage: Sendable, Hashable, CustomStringConvertible {
    /// The direction that carried the message.
    public var side: FrameSide
    /// The message's number in its direction, from 0.
    public var index: Int
    /// Where the message starts in its direction's byte stream.
    public var offset: Int
    /// How many bytes the message has (at least 1).
    public var byteCount: Int
    /// One line for a person: e.g. `SET k v`, `HTTP/1.1 200 OK`, `Query: SELECT 1`,
    /// `PUBLISH a/b qos1 id=7`. At most ``SummaryText/limit`` characters (longer ones end in
    /// `…`); bytes of the peer appear only escaped (printable ASCII as is, `\r`, `\n`, `\t`,
    /// else `\xNN`), so a summary is safe to print on a terminal and never spans lines.
    public var summary: String
    /// The message of the other direction this one answers, when it is a reply; nil for a
    /// request, an unsolicited message (a RESP push, a pub/sub message, a PostgreSQL
    /// notification) or a protocol without pairing (`lines`, `len:SPEC`).
    public var reply: ReplyPairing?
    /// Whether the protocol expects the other side to answer this message (an HTTP request, a
    /// RESP command, a PostgreSQL Query or Sync, an MQTT PUBLISH with QoS 1 or 2, …). A caller
    /// that measures latency keeps the time of such a message's last byte until its first reply.
    public var awaitsReply: Bool
    /// True when the stream ended (``FrameConversation/end(_:)``) before the message was
    /// complete: the message holds the bytes that came, and its summary what was known.
    public var isTruncated: Bool

    /// A message with every field given.
    public init(
        side: FrameSide, index: Int, offset: Int, byteCount: Int, summary: String,
        reply: ReplyPairing? = nil, awaitsReply: Bool = false, isTruncated: Bool = false
    ) {
        self.side = side
        self.index = index
        self.offset = offset
        self.byteCount = byteCount
        self.summary = summary
        self.reply = reply
        self.awaitsReply = awaitsReply
        self.isTruncated = isTruncated
    }

    /// The offset just past the message's last byte: where a flow wrapper cuts the read.
    public var end: Int { offset + byteCount }

    /// `client #INDEX @OFFSET+BYTES SUMMARY`, with `→ #N` (first reply) or `→ #N…` for replies.
    public var description: String {
        var text = "\(side) #\(index) @\(offset)+\(byteCount) \(summary)"
        if let reply { text += reply.isFirst ? " → #\(reply.request)" : " → #\(reply.request)…" }
        if isTruncated { text += " (truncated)" }
        return text
    }
}

import FlowEvents

/// One decoded message as the UI lists it: what its `message` event said, with its direction
/// and the time it was reported.
public struct MessageRecord: Sendable, Equatable {
    /// The direction it went in.
    public var direction: Direction
    /// Its number in its direction, from 0 (``DecodedMessage/index``).
    public var index: Int
    /// Where it starts in its direction's stream (``DecodedMessage/offset``).
    public var offset: Int
    /// Its length in bytes (``DecodedMessage/bytes``).
    public var bytes: Int
    /// The decoder's one line about it, escaped, at most ``summaryLimit`` characters (longer
    /// ones end with `…`).
    public var summary: String
    /// For a reply: the index of the other direction's message it answers.
    public var request: Int?
    /// For the first reply to a request: nanoseconds from the request's last byte to the
    /// reply's first byte.
    public var latency: UInt64?
    /// The stream ended before the message was whole.
    public var truncated: Bool
    /// When its event was reported, nanoseconds since the Unix epoch.
    public var time: UInt64

    /// The most characters of a summary kept (decoders keep theirs shorter already; a hostile
    /// capture's event records may not).
    public static let summaryLimit = 300

    /// The record of `message`, seen in `direction` at `time`; the summary is cut to
    /// ``summaryLimit`` characters.
    public init(_ message: DecodedMessage, direction: Direction, time: UInt64) {
        self.direction = direction
        index = message.index
        offset = message.offset
        bytes = message.bytes
        var summary = message.summary
        if summary.utf8.count > Self.summaryLimit,
            summary.prefix(Self.summaryLimit).endIndex != summary.endIndex
        {
            summary = String(summary.prefix(Self.summaryLimit - 1)) + "…"
        }
        self.summary = summary
        request = message.request
        latency = message.latency
        truncated = message.truncated
        self.time = time
    }

    /// The byte offsets it covers in its direction: `offset..<offset + bytes` (clamped, so a
    /// hostile record cannot overflow).
    public var range: Range<Int> {
        let (end, overflow) = offset.addingReportingOverflow(bytes)
        return offset..<(overflow ? Int.max : max(offset, end))
    }

    /// True for a reply (it answers a message of the other direction).
    public var isReply: Bool { request != nil }
}

import FlowEvents

/// The messages a replay received compared with the messages of the capture, for a session a
/// decoder applies to (`--decode`, not `none`).
///
/// Both sides are decoded the same way (``EventDecoder``, the same decoder): the capture's
/// conversation as the live peer's counterpart had it (see ``ReplayScript``), and the replay's
/// as it happened. The compared direction's messages are paired in order, after leaving out on
/// each side those ``ReplayIgnore`` skips; two messages are equal when their summaries and their
/// bytes are. They match when every pair is equal, no side has a message more, and the bytes
/// after each side's last message (what a decode error left undecoded) are equal too. Otherwise
/// ``difference`` is the first pair that is not equal (a missing message is nil).
public struct ReplayMessageComparison: Sendable, Equatable {
    /// The compared direction of one conversation: its messages and bytes, and the summaries of
    /// the other direction's messages (the requests the messages answer).
    public struct Stream: Sendable, Equatable {
        /// The compared direction's messages, in order.
        public var messages: [DecodedMessage] = []
        /// The other direction's message summaries, by index.
        public var requests: [Int: String] = [:]
        /// The compared direction's bytes.
        public var bytes: [UInt8] = []

        /// An empty stream.
        public init() {}

        /// Keeps what `event` says about the compared `direction`: a `message` of it, or the
        /// summary of a `message` of the other direction.
        public mutating func take(_ event: SessionEvent, comparing direction: Direction) {
            guard case .message(let d, let message) = event.kind else { return }
            if d == direction {
                messages.append(message)
            } else {
                requests[message.index] = message.summary
            }
        }

        /// The bytes of `message` in ``bytes`` (clamped to them).
        func slice(_ message: DecodedMessage) -> [UInt8] {
            let start = min(max(message.offset, 0), bytes.count)
            let end = min(start + min(max(message.bytes, 0), bytes.count - start), bytes.count)
            return Array(bytes[start..<end])
        }

        /// Where the undecoded bytes after the last message start.
        var tailStart: Int { min(messages.last.map { $0.offset + $0.bytes } ?? 0, bytes.count) }
    }

    /// The first pair of messages that differ.
    public struct Difference: Sendable, Equatable {
        /// The captured message, nil when the capture has no more (or for the undecoded tail).
        public var expected: DecodedMessage?
        /// The received message, nil when the replay received no more (or for the tail).
        public var got: DecodedMessage?
        /// The captured message's bytes (or the capture's undecoded tail).
        public var expectedBytes: [UInt8]
        /// The received message's bytes (or the replay's undecoded tail).
        public var gotBytes: [UInt8]
        /// Where the received message (or tail) starts in the received stream; the stream's
        /// length when the replay received no more messages.
        public var offset: Int
    }

    /// The decoder's name (`proto`).
    public let proto: String
    /// Messages in the capture's compared direction, and how many of them were skipped.
    public let expectedCount: Int
    /// Messages the replay received, and how many of them were skipped.
    public let gotCount: Int
    /// Captured messages left out by ``ReplayIgnore``.
    public let ignoredExpected: Int
    /// Received messages left out by ``ReplayIgnore``.
    public let ignoredGot: Int
    /// The first difference; nil when they match.
    public let difference: Difference?

    /// Compares `got` with `expected`, leaving out what `ignore` skips.
    public init(proto: String, expected: Stream, got: Stream, ignore: ReplayIgnore) {
        self.proto = proto
        func kept(_ stream: Stream) -> [DecodedMessage] {
            stream.messages.filter { message in
                !ignore.skips(message.summary, request: message.request.flatMap { stream.requests[$0] })
            }
        }
        let e = kept(expected)
        let g = kept(got)
        expectedCount = expected.messages.count
        gotCount = got.messages.count
        ignoredExpected = expected.messages.count - e.count
        ignoredGot = got.messages.count - g.count
        var difference: Difference?
        for i in 0..<max(e.count, g.count) {
            let a = i < e.count ? e[i] : nil
            let b = i < g.count ? g[i] : nil
            let aBytes = a.map(expected.slice) ?? []
            let bBytes = b.map(got.slice) ?? []
            if let a, let b, a.summary == b.summary, aBytes == bBytes { continue }
            difference = Difference(
                expected: a, got: b, expectedBytes: aBytes, gotBytes: bBytes,
                offset: b?.offset ?? got.bytes.count)
            break
        }
        if difference == nil {
            let aTail = Array(expected.bytes[expected.tailStart...])
            let bTail = Array(got.bytes[got.tailStart...])
            if aTail != bTail {
                difference = Difference(
                    expected: nil, got: nil, expectedBytes: aTail, gotBytes: bTail, offset: got.tailStart)
            }
        }
        self.difference = difference
    }

    /// Whether the received messages equal the captured ones.
    public var matches: Bool { difference == nil }

    /// `resp: 3 messages compared, 1 ignored` (the capture's counts).
    public var counts: String {
        var text =
            "\(proto): \(expectedCount - ignoredExpected) message\(expectedCount - ignoredExpected == 1 ? "" : "s") compared"
        if ignoredExpected > 0 || ignoredGot > 0 {
            text +=
                ignoredExpected == ignoredGot
                ? ", \(ignoredExpected) ignored"
                : ", \(ignoredExpected) ignored in the capture, \(ignoredGot) in the replay"
        }
        return text
    }

    /// The first difference for a person (empty when they match): a line naming the messages
    /// by index and summary, then a hex diff of their bytes (``ReplayComparison/hexDiff(context:)``
    /// with offsets counted from each message's start).
    ///
    /// ```
    /// first difference at message #1: expected "+OK" (5 B), got "-ERR nope" (11 B)
    /// - 00000000  2b 4f 4b 0d 0a (end)                              |+OK..|
    /// + 00000000  2d 45 52 52 20 6e 6f 70 65 0d 0a (end)            |-ERR nope..|
    ///             ^^
    /// ```
    public var text: String {
        guard let difference else { return "" }
        func name(_ message: DecodedMessage) -> String { "\"\(message.summary)\" (\(message.bytes) B)" }
        var line: String
        switch (difference.expected, difference.got) {
        case (let a?, let b?):
            line = "first difference at message #\(a.index): expected \(name(a)), got "
            line += b.index == a.index ? name(b) : "#\(b.index) \(name(b))"
        case (let a?, nil):
            line = "first difference at message #\(a.index): expected \(name(a)), got no more messages"
        case (nil, let b?):
            line = "first difference at message #\(b.index): expected no more messages, got \(name(b))"
        case (nil, nil):
            line = "the undecoded bytes after the last message differ"
        }
        var out = line + "\n"
        let bytes = ReplayComparison(expected: difference.expectedBytes, got: difference.gotBytes)
        if !bytes.matches {
            out += bytes.hexDiff().split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
                .joined(separator: "\n")
        }
        return out
    }
}

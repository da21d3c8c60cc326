import NIOCore

/// The message decoder of one session: fed each direction's bytes as they arrive, in pieces of
/// any size (one byte included), it reports where each message ends, with its summary and what
/// it answers.
///
/// A framer never holds bytes back and never needs more than the piece it is given: it keeps
/// offsets and a bounded amount of state (a header line of at most 64 KiB, a few hundred bytes
/// for a summary), never a whole message, and takes time linear in the bytes fed.
///
/// Usage, by a flow wrapper under each direction's tap (both directions share the conversation;
/// ``SharedFrameConversation`` is the thread-safe box for that):
///
/// ```swift
/// var conversation = FrameConversation(try DecoderSpec(parsing: "auto"), portHint: 6379)
/// let start = conversation.progress(.client).bytesFed
/// let found = conversation.feed(.client, buffer)
/// for cut in found.cuts(forPieceAt: start, count: buffer.readableBytes) { /* split here */ }
/// for message in found.messages { /* event after the piece ending at message.end */ }
/// for error in found.decodeErrors { /* one decode_error event per side, ever */ }
/// // at the direction's EOF:
/// let last = conversation.end(.client)  // a body that ends at close, or a truncated message
/// ```
///
/// A paused direction that wants whole messages reads on while
/// ``progress(_:)`` says ``MessageProgress/isInMessage`` (``MessageProgress/remaining``, when
/// known, says how much is missing), up to its own bound, then holds what it has.
///
/// Latency (from a request's last byte to its first reply's first byte) from the times the
/// caller knows: keep the time of each feed that returns a message with
/// ``FramedMessage/awaitsReply`` (its last byte came then), by index; for a reply with
/// ``ReplyPairing/isFirst``, its first byte came with the feed whose piece held
/// ``FramedMessage/offset`` — this feed when the offset is at or past the piece's start, else
/// the feed after which ``progress(_:)`` first showed ``MessageProgress/isInMessage`` (keep
/// that time per side).
///
/// Cross-direction state (an HTTP response to `HEAD` has no body; after a `CONNECT` answered
/// 2xx both sides are raw) needs the bytes fed in the order they crossed the wire: a request
/// before the reply that answers it. A wrapper that feeds a read before forwarding it gets that
/// for free. Fed out of order, a framer may mis-pair or report a decode error, never crash.
///
/// Contract of the calls:
/// - ``feed(_:_:)-(FrameSide,UnsafeRawBufferPointer)``: an empty piece does nothing. With
///   ``DecoderSpec/auto``, the first non-empty piece (of either side) decides the decoder
///   (``FrameFeed/decided``) and is decoded by it.
/// - ``end(_:)``: the side's end of stream. A message that ends at close (an HTTP response
///   without length) is completed; any other unfinished message is reported with
///   ``FramedMessage/isTruncated``. Later feeds of that side are counted, not decoded.
/// - Errors: a side the framer cannot parse gets one ``FrameDecodeError`` and is counted, not
///   decoded, from then on; the conversation goes on for the other side.
public struct FrameConversation: Sendable {
    /// The decoder in use: the spec given, or after an `auto` decision the one chosen.
    public private(set) var spec: DecoderSpec
    /// The port hint given (the target's port), used by `auto`.
    public let portHint: Int?
    private var engine: (any FramerEngine)?
    private var ledger = Ledger()

    /// A conversation decoded by `spec`; with ``DecoderSpec/auto``, `portHint` (the target's
    /// port) guides the decision.
    public init(_ spec: DecoderSpec, portHint: Int? = nil) {
        self.spec = spec
        self.portHint = portHint
        if spec == .auto {
            ledger.setMode(.client, .undecided)
            ledger.setMode(.server, .undecided)
        } else {
            adopt(spec)
        }
    }

    /// Whether the decoder is known (always, unless `auto` has seen no byte yet).
    public var isDecided: Bool { spec != .auto }

    /// Decodes the next `bytes` of `side`'s stream; see the type for the contract.
    public mutating func feed(_ side: FrameSide, _ bytes: UnsafeRawBufferPointer) -> FrameFeed {
        guard !bytes.isEmpty else { return FrameFeed() }
        if spec == .auto {
            let chosen = ProtocolDetector.detect(bytes, from: side, portHint: portHint)
            adopt(chosen)
            ledger.feed.decided = chosen
        }
        let base = ledger[side].fed
        ledger[side].fed = base + bytes.count
        if ledger.isDecoding(side) {
            engine?.consume(side, bytes, at: base, &ledger)
        }
        return ledger.take()
    }

    /// Decodes the readable bytes of `buffer` (not moving its reader index) as `side`'s next.
    public mutating func feed(_ side: FrameSide, _ buffer: ByteBuffer) -> FrameFeed {
        buffer.withUnsafeReadableBytes { feed(side, $0) }
    }

    /// Decodes `bytes` as `side`'s next.
    public mutating func feed(_ side: FrameSide, _ bytes: [UInt8]) -> FrameFeed {
        bytes.withUnsafeBytes { feed(side, $0) }
    }

    /// `side`'s end of stream (its peer sent FIN or the read failed); see the type. Calling it
    /// again does nothing.
    public mutating func end(_ side: FrameSide) -> FrameFeed {
        guard ledger[side].mode != .ended else { return FrameFeed() }
        if ledger.isDecoding(side) {
            engine?.finish(side, &ledger)
            if ledger.isDecoding(side), ledger[side].fed > ledger[side].lastEnd {
                let summary = engine?.partialSummary(side) ?? ""
                ledger.emit(side, end: ledger[side].fed, summary: summary, truncated: true)
            }
        }
        ledger.setMode(side, .ended)
        return ledger.take()
    }

    /// Where `side` stands: its mode, the bytes fed, the message in progress.
    public func progress(_ side: FrameSide) -> MessageProgress {
        let counters = ledger[side]
        let inMessage = counters.mode == .decoding && counters.fed > counters.lastEnd
        return MessageProgress(
            mode: counters.mode, bytesFed: counters.fed, messageOffset: counters.lastEnd,
            remaining: inMessage ? engine?.remaining(side) : nil)
    }

    private mutating func adopt(_ chosen: DecoderSpec) {
        spec = chosen
        engine = Self.engine(for: chosen)
        let mode: MessageProgress.Mode = engine == nil ? .raw : .decoding
        for side in FrameSide.allCases where ledger[side].mode == .undecided || ledger[side].mode == .decoding
        {
            ledger.setMode(side, mode)
        }
    }

    private static func engine(for spec: DecoderSpec) -> (any FramerEngine)? {
        switch spec {
        case .auto, .none: nil
        case .http: HTTPFramer()
        case .resp: RESPFramer()
        case .postgres: PostgresFramer()
        case .mqtt: MQTTFramer()
        case .lines: LinesFramer()
        case .length(let prefix): LengthFramer(prefix)
        }
    }
}

import FlowEvents
import FlowFramers
import NIOCore

/// Decodes one session's messages from its recorded events: fed the session's events in the
/// order they happened, it gives them back with `decoder`, `message` and `decode_error` events
/// put where the live proxy reports them.
///
/// The bytes decoded are the `data` events' (what each direction delivered), both directions
/// in the order of the events, as ``FrameConversation`` needs (a request before its reply):
/// - `decoder` (the decoder's name, or what `auto` chose, `none` included) follows the
///   session's first `data`, once;
/// - a `message` follows the `data` that completes it, stamped with that event's time; a
///   reply's latency is measured as ``FrameConversation`` describes, with the `data` events'
///   times (from the time of the `data` holding the request's last byte to that of the `data`
///   holding the reply's first byte);
/// - a `decode_error` follows the `data` in which the direction stopped parsing (at most one a
///   direction; the rest of the direction is not decoded);
/// - a direction ends at its first `eof`, `shutdown`, `read_error` or `write_error`, at a `gap`
///   in its bytes (or a `data` whose offset is not where the bytes so far end: nothing after a
///   hole can be decoded), and at `close`: a message cut short by the end is reported then
///   (`truncated`), before a `close`, after the other events.
///
/// Memory: the framer's bounded state, plus the time of each request not yet answered (at most
/// ``pendingLimit`` a direction; older ones are forgotten and their replies get no latency).
public struct EventDecoder: Sendable {
    /// How many unanswered requests a direction keeps the time of.
    public static let pendingLimit = 1 << 16

    private var conversation: FrameConversation
    private var announced = false
    private var ended: [FrameSide: Bool] = [.client: false, .server: false]
    /// Per direction, the time of each request (awaiting a reply) whose last byte came, by index.
    private var requestEnds: [FrameSide: [Int: UInt64]] = [.client: [:], .server: [:]]
    /// Per direction, the time of the `data` in which the message in progress started.
    private var inMessageSince: [FrameSide: UInt64] = [:]

    /// A decoder using `spec`; with ``DecoderSpec/auto``, `portHint` (the target's port) guides
    /// the choice.
    public init(_ spec: DecoderSpec, portHint: Int? = nil) {
        conversation = FrameConversation(spec, portHint: portHint)
    }

    /// The decoder in use: the spec given, or once `auto` has decided, its choice.
    public var spec: DecoderSpec { conversation.spec }

    /// `event` followed (or, for `close`, preceded) by the decoding events it brings, in the
    /// order to report them; see the type.
    public mutating func decode(_ event: SessionEvent) -> [SessionEvent] {
        switch event.kind {
        case .data(let direction, let offset, let bytes):
            return [event] + data(direction, offset: offset, bytes: bytes, event: event)
        case .eof(let d), .shutdown(let d), .readError(let d, _), .writeError(let d, _), .gap(let d, _, _):
            return [event] + end(Self.side(d), event: event)
        case .close:
            return end(.client, event: event) + end(.server, event: event) + [event]
        default:
            return [event]
        }
    }

    /// The decoding events of the ends not reported yet (a session whose record stops without
    /// `close`), stamped `time`, for session `conn`.
    public mutating func finish(conn: Int?, time: UInt64) -> [SessionEvent] {
        let last = SessionEvent(conn: conn, .note(""), time: time)
        return end(.client, event: last) + end(.server, event: last)
    }

    private mutating func data(
        _ direction: Direction, offset: Int, bytes: ByteBuffer, event: SessionEvent
    ) -> [SessionEvent] {
        let side = Self.side(direction)
        guard !ended[side]!, bytes.readableBytes > 0 else { return [] }
        let start = conversation.progress(side).bytesFed
        guard offset == start else { return end(side, event: event) }
        let found = conversation.feed(side, bytes)
        var out: [SessionEvent] = []
        if !announced {
            announced = true
            out.append(
                SessionEvent(conn: event.conn, .decoder(conversation.spec.protocolName), time: event.time))
        }
        out += report(found, side: side, pieceStart: start, event: event)
        let progress = conversation.progress(side)
        if progress.isInMessage {
            if !found.messages.isEmpty || inMessageSince[side] == nil { inMessageSince[side] = event.time }
        } else {
            inMessageSince[side] = nil
        }
        return out
    }

    private mutating func end(_ side: FrameSide, event: SessionEvent) -> [SessionEvent] {
        guard !ended[side]! else { return [] }
        ended[side] = true
        // An end before any byte (of a still undecided `auto`) reports nothing.
        guard announced else {
            _ = conversation.end(side)
            return []
        }
        let found = conversation.end(side)
        let out = report(found, side: side, pieceStart: conversation.progress(side).bytesFed, event: event)
        inMessageSince[side] = nil
        return out
    }

    private mutating func report(
        _ found: FrameFeed, side: FrameSide, pieceStart: Int, event: SessionEvent
    ) -> [SessionEvent] {
        let proto = conversation.spec.protocolName
        var out: [SessionEvent] = []
        for message in found.messages {
            var latency: UInt64?
            if let reply = message.reply, reply.isFirst,
                let requestEnd = requestEnds[message.side.other]!.removeValue(forKey: reply.request)
            {
                let firstByte =
                    message.offset >= pieceStart ? event.time : (inMessageSince[message.side] ?? event.time)
                latency = firstByte >= requestEnd ? firstByte - requestEnd : 0
            }
            if message.awaitsReply { remember(message, at: event.time) }
            let decoded = DecodedMessage(
                proto: proto, index: message.index, offset: message.offset, bytes: message.byteCount,
                summary: message.summary, request: message.reply?.request, latency: latency,
                truncated: message.isTruncated)
            out.append(
                SessionEvent(
                    conn: event.conn, .message(Self.direction(message.side), decoded), time: event.time))
        }
        for error in found.decodeErrors {
            out.append(
                SessionEvent(
                    conn: event.conn,
                    .decodeError(
                        Self.direction(error.side), proto: proto, offset: error.offset, error: error.reason),
                    time: event.time))
        }
        return out
    }

    /// Keeps the time of a request's last byte, forgetting the oldest beyond ``pendingLimit``
    /// (in amortized linear time).
    private mutating func remember(_ message: FramedMessage, at time: UInt64) {
        var pending = requestEnds[message.side]!
        requestEnds[message.side] = [:]
        pending[message.index] = time
        if pending.count >= 2 * Self.pendingLimit {
            let oldest = message.index - Self.pendingLimit
            pending = pending.filter { $0.key > oldest }
        }
        requestEnds[message.side] = pending
    }

    private static func side(_ direction: Direction) -> FrameSide { direction == .c2s ? .client : .server }
    private static func direction(_ side: FrameSide) -> Direction { side == .client ? .c2s : .s2c }
}

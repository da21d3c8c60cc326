/// The `postgres` decoder: the PostgreSQL frontend/backend protocol, version 3.
///
/// The client's first message is untyped (a length, then a code): StartupMessage (protocol
/// 3.x), SSLRequest, GSSENCRequest or CancelRequest; every later message of either side is
/// typed (a type byte, then a length that counts itself). The server answers an SSLRequest with
/// one byte: `S` (TLS follows: both sides raw), `N` (plain: the client sends its startup
/// again), or an ErrorResponse; a GSSENCRequest with `G` (raw) or `N`. A client that starts
/// with a TLS record (direct SSL, PostgreSQL 17) makes both sides raw.
///
/// Decode errors: a startup length outside 8…10000 or an unknown startup code, a typed length
/// below 4 or over 1 GiB, an answer to SSLRequest other than `S`, `N` or `E`, bytes sent
/// before that answer when it refuses.
///
/// Summaries: the message name and its key field: `Query: SELECT 1`, `Parse: SELECT $1`,
/// `RowDescription: 1 field`, `DataRow`, `CommandComplete: SELECT 1`, `ReadyForQuery: idle`,
/// `ErrorResponse: ERROR 42P01 relation "x" does not exist`, `StartupMessage: user=u
/// database=d`, `SSLRequest`, `SSL: refused (N)`. Passwords are never shown.
///
/// Pairing: requests are the StartupMessage, Query, Sync (closing an extended-protocol batch:
/// Parse, Bind, Describe, Execute…), FunctionCall, and SSLRequest/GSSENCRequest. Every backend
/// message answers the oldest outstanding request, up to and including the ReadyForQuery that
/// ends it (the 1-byte answer ends an SSLRequest); NotificationResponse and messages with no
/// request outstanding are unpaired. Up to 16,384 outstanding requests are remembered; past that,
/// pairing stops for the rest of the conversation (messages are still framed).
///
/// Errors: each side's messages delimit themselves, so an error on one side leaves the other
/// decoding.
struct PostgresFramer: FramerEngine {
    private enum Stage: Sendable {
        /// The client's untyped first message (8 bytes: length, code).
        case startupHeader
        /// A typed message's 5-byte header.
        case typedHeader
        /// A message's body.
        case body(remaining: Int)
        /// The server's one-byte answer to an SSLRequest (`ssl`) or GSSENCRequest.
        case answer(ssl: Bool)
        /// The client after SSLRequest or GSSENCRequest, until the answer.
        case awaitingAnswer

        var isStartup: Bool {
            if case .startupHeader = self { return true }
            return false
        }

        var isBody: Bool {
            if case .body = self { return true }
            return false
        }
    }

    private enum Kind: Sendable {
        case startup
        case ssl
        case gss
        case cancel
        case typed(UInt8)

        var isSSL: Bool {
            if case .ssl = self { return true }
            return false
        }
    }

    private struct Side: Sendable {
        var stage: Stage
        var header: [UInt8] = []
        var body: [UInt8] = []
        var kind = Kind.startup
        var headerStart = 0
    }

    static let maxLength = 1 << 30
    static let maxStartupLength = 10_000
    private static let captureSize = 512
    private static let maxOutstanding = 16_384

    private var sides = PerSide(Side(stage: .typedHeader))
    private var outstanding: [Int] = []
    private var outstandingHead = 0
    private var answeredOnce = false
    /// Set when more requests were outstanding than remembered: pairing stops for good.
    private var pairingLost = false

    init() { sides.client.stage = .startupHeader }

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        while i < bytes.count, ledger.isDecoding(side) {
            switch sides[side].stage {
            case .awaitingAnswer:
                return
            case .answer(let ssl):
                let byte = bytes[i]
                i += 1
                answer(byte, ssl: ssl, end: base + i, &ledger)
            case .body(let remaining):
                let (next, left) = CountedBody.take(
                    bytes, from: i, remaining: remaining, capture: &sides[side].body, limit: Self.captureSize)
                i = next
                if left == 0 {
                    complete(side, end: base + i, &ledger)
                } else {
                    sides[side].stage = .body(remaining: left)
                }
            case .startupHeader, .typedHeader:
                if sides[side].header.isEmpty {
                    sides[side].headerStart = base + i
                    if side == .client, case .startupHeader = sides[side].stage, bytes[i] == 0x16 {
                        ledger.goRaw(.client, "TLS from the first byte (direct SSL)")
                        ledger.goRaw(.server, "TLS from the first byte (direct SSL)")
                        return
                    }
                }
                let need = (sides[side].stage.isStartup ? 8 : 5) - sides[side].header.count
                let take = min(need, bytes.count - i)
                sides[side].header.append(contentsOf: bytes[i..<(i + take)])
                i += take
                if take == need { headerComplete(side, end: base + i, &ledger) }
            }
        }
    }

    func remaining(_ side: FrameSide) -> Int? {
        if case .body(let remaining) = sides[side].stage { return remaining }
        return nil
    }

    func partialSummary(_ side: FrameSide) -> String { summary(of: sides[side], side) }

    private mutating func headerComplete(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let header = sides[side].header[...]
        let start = sides[side].headerStart
        if sides[side].stage.isStartup {
            let length = ByteParsing.bigEndian(header, at: 0, count: 4) ?? 0
            let code = ByteParsing.bigEndian(header, at: 4, count: 4) ?? 0
            guard length >= 8, length <= Self.maxStartupLength else {
                return ledger.fail(
                    side, at: start, "startup message length \(length) not in 8…\(Self.maxStartupLength)")
            }
            switch code {
            case 80_877_103 where length == 8: sides[side].kind = .ssl
            case 80_877_104 where length == 8: sides[side].kind = .gss
            case 80_877_102: sides[side].kind = .cancel
            case (3 << 16)...((3 << 16) | 0xffff): sides[side].kind = .startup
            default:
                return ledger.fail(side, at: start, "unknown startup code \(code) (not protocol 3.x)")
            }
            sides[side].header = []
            sides[side].stage = .body(remaining: length - 8)
        } else {
            let length = ByteParsing.bigEndian(header, at: 1, count: 4) ?? 0
            guard length >= 4, length <= Self.maxLength else {
                return ledger.fail(side, at: start + 1, "message length \(length) not in 4…\(Self.maxLength)")
            }
            sides[side].kind = .typed(header[header.startIndex])
            sides[side].header = []
            sides[side].stage = .body(remaining: length - 4)
        }
        if case .body(0) = sides[side].stage { complete(side, end: end, &ledger) }
    }

    private mutating func complete(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let state = sides[side]
        let summary = summary(of: state, side)
        sides[side] = Side(stage: .typedHeader)
        if side == .client {
            var awaits = false
            switch state.kind {
            case .ssl, .gss:
                awaits = true
                sides[.client].stage = .awaitingAnswer
                // The answer is the server's next byte only if the server is between messages:
                // a server that already sent part of a message broke the protocol (found by the
                // framer-postgres fuzzer: its half header was read on as the answer's).
                if case .typedHeader = sides[.server].stage, sides[.server].header.isEmpty {
                    sides[.server].stage = .answer(ssl: state.kind.isSSL)
                } else {
                    ledger.fail(
                        .server, at: sides[.server].headerStart,
                        "the server sent bytes before answering the \(state.kind.isSSL ? "SSLRequest" : "GSSENCRequest")"
                    )
                }
            case .startup:
                awaits = true
            case .typed(let type):
                awaits = type == UInt8(ascii: "Q") || type == UInt8(ascii: "S") || type == UInt8(ascii: "F")
            case .cancel:
                break
            }
            let index = ledger.emit(.client, end: end, summary: summary, awaitsReply: awaits)
            if awaits, !pairingLost {
                if outstanding.count - outstandingHead < Self.maxOutstanding {
                    outstanding.append(index)
                } else {
                    pairingLost = true
                }
            }
            return
        }
        guard case .typed(let type) = state.kind, type != UInt8(ascii: "A") else {
            ledger.emit(.server, end: end, summary: summary)
            return
        }
        let reply = nextReply(ends: type == UInt8(ascii: "Z"))
        ledger.emit(.server, end: end, summary: summary, reply: reply)
    }

    /// The server's one-byte answer to SSLRequest/GSSENCRequest (or the start of an
    /// ErrorResponse).
    private mutating func answer(_ byte: UInt8, ssl: Bool, end: Int, _ ledger: inout Ledger) {
        let accept = ssl ? UInt8(ascii: "S") : UInt8(ascii: "G")
        let name = ssl ? "SSL" : "GSSENC"
        switch byte {
        case accept:
            let reply = nextReply(ends: true)
            ledger.emit(.server, end: end, summary: "\(name): accepted (\(ssl ? "S" : "G"))", reply: reply)
            let reason =
                ssl ? "TLS after SSLRequest accepted" : "GSSAPI encryption after GSSENCRequest accepted"
            ledger.goRaw(.server, reason)
            ledger.goRaw(.client, reason)
        case UInt8(ascii: "N"):
            let reply = nextReply(ends: true)
            ledger.emit(.server, end: end, summary: "\(name): refused (N)", reply: reply)
            sides[.server].stage = .typedHeader
            refused(&ledger)
        case UInt8(ascii: "E"):
            // An old server's ErrorResponse: a typed message whose type byte this is.
            sides[.server].headerStart = end - 1
            sides[.server].header = [byte]
            sides[.server].stage = .typedHeader
            refused(&ledger)
        default:
            ledger.fail(
                .server, at: end - 1,
                "answer to \(name)Request is \(SummaryText.escape([byte])), not \(ssl ? "S" : "G") or N")
        }
    }

    /// The client after a refused SSLRequest/GSSENCRequest starts over, unless it sent bytes
    /// before the answer (they were not decoded).
    private mutating func refused(_ ledger: inout Ledger) {
        guard ledger.isDecoding(.client) else { return }
        if ledger[.client].fed > ledger[.client].lastEnd {
            ledger.fail(
                .client, at: ledger[.client].lastEnd,
                "bytes sent before the answer to its request were not decoded")
        } else {
            sides[.client].stage = .startupHeader
        }
    }

    /// The pairing of the next backend message; `ends` when it closes its request.
    private mutating func nextReply(ends: Bool) -> ReplyPairing? {
        guard !pairingLost, outstandingHead < outstanding.count else { return nil }
        let reply = ReplyPairing(request: outstanding[outstandingHead], isFirst: !answeredOnce)
        answeredOnce = !ends
        if ends {
            outstandingHead += 1
            if outstandingHead == outstanding.count {
                outstanding.removeAll(keepingCapacity: true)
                outstandingHead = 0
            } else if outstandingHead >= 1024 {
                outstanding.removeFirst(outstandingHead)
                outstandingHead = 0
            }
        }
        return reply
    }

    private func summary(of state: Side, _ side: FrameSide) -> String {
        switch state.kind {
        case .startup where state.header.isEmpty && state.stage.isBody:
            return PostgresSummary.startup(state.body)
        case .ssl: return "SSLRequest"
        case .gss: return "GSSENCRequest"
        case .cancel: return "CancelRequest"
        case .typed(let type) where state.stage.isBody:
            return side == .client
                ? PostgresSummary.frontend(type, state.body) : PostgresSummary.backend(type, state.body)
        default:
            var out = SummaryBuilder()
            out.append("(header) ")
            out.append(bytes: state.header)
            return out.text
        }
    }
}

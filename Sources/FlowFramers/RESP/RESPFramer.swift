/// The `resp` decoder: Redis RESP2 and RESP3, both directions.
///
/// Supports: every RESP2/RESP3 type (simple strings, errors, integers, bulk strings, arrays,
/// null, double, boolean, blob error, verbatim string, big number, map, set, push, attribute —
/// attached to the value after it, which is one message with it), streamed strings (`$?` with
/// `;N` chunks) and streamed aggregates (`*?` … `.`), inline commands from the client, and
/// pipelining. Lengths are checked: a bulk or aggregate length over 2 GiB (2^31), aggregates
/// nested deeper than 1024 or a line (a simple string, an inline command) over 64 KiB are a
/// decode error, as is a byte that is not a type byte where a value starts.
///
/// Summaries: a command `SET k v` (arguments joined by spaces, each bulk's first 64 bytes);
/// a reply with its type byte: `+OK`, `-ERR unknown command`, `:1`, `$5 hello`, `$-1`,
/// `*2 a b`, `%1 k v`, `>3 message ch hi`.
///
/// Pairing, in order: every client message is a request (``FramedMessage/awaitsReply``), each
/// server reply answers the oldest unanswered one. Unpaired: RESP3 pushes (`>`), RESP2 pub/sub
/// messages (`message`, `pmessage`, `smessage` arrays once the client subscribed), and every
/// reply after `MONITOR` was accepted (until `RESET`). A `SUBSCRIBE a b` (and the `P`/`S` and
/// `UNSUBSCRIBE` forms) is answered by one confirmation per channel — arrays in RESP2, pushes
/// in RESP3 — the first carrying ``ReplyPairing/isFirst``; an `UNSUBSCRIBE` without channels by
/// the confirmations that follow it.
///
/// Errors: each side is parsed on its own; a decode error on one side leaves the other side
/// decoding (replies after a client-side error pair only with requests decoded before it).
/// Memory: a line of at most 64 KiB, a stack of at most 1024 counts, and at most 4,096
/// pipelined (un)subscribe/MONITOR/RESET requests remembered (more are paired as plain ones).
struct RESPFramer: FramerEngine {
    private enum Special: Sendable {
        /// An (un)subscribe form: `name` is what its confirmations start with; `expected` their
        /// number (nil: as many as follow); `got` how many came.
        case subscription(name: [UInt8], expected: Int?, got: Int)
        case monitor
        case reset
    }

    private static let subscriptionNames: Set<[UInt8]> = Set(
        ["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"].map {
            Array($0.utf8)
        })
    private static let messageNames: Set<[UInt8]> = Set(
        ["message", "pmessage", "smessage"].map { Array($0.utf8) })
    private static let maxSpecials = 4096

    private var parsers = PerSide(RESPSideParser(isClient: true))
    /// The client message (request) the next reply answers.
    private var nextToAnswer = 0
    private var specials: [Int: Special] = [:]
    private var subscribed = false
    private var monitoring = false

    init() { parsers.server = RESPSideParser(isClient: false) }

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        while i < bytes.count {
            switch parsers[side].consume(bytes, from: i, at: base) {
            case .needMore:
                return
            case .failure(let offset, let reason):
                ledger.fail(side, at: offset, reason)
                return
            case .value(let value, let next):
                i = next
                if side == .client {
                    let index = ledger.emit(
                        .client, end: value.end, summary: value.summary, awaitsReply: true)
                    remember(value, index: index)
                } else {
                    let reply = pair(value, requests: ledger.nextIndex(.client))
                    ledger.emit(.server, end: value.end, summary: value.summary, reply: reply)
                }
            }
        }
    }

    func remaining(_ side: FrameSide) -> Int? { parsers[side].remaining }

    func partialSummary(_ side: FrameSide) -> String { parsers[side].partialSummary }

    private mutating func remember(_ command: RESPSideParser.Value, index: Int) {
        guard specials.count < Self.maxSpecials else { return }
        let name = command.head
        if Self.subscriptionNames.contains(name) {
            let channels = max(command.count - 1, 0)
            let isUnsubscribe =
                name.starts(with: "unsubscribe".utf8) || name.dropFirst().starts(with: "unsubscribe".utf8)
            specials[index] = .subscription(
                name: name, expected: isUnsubscribe && channels == 0 ? nil : max(channels, 1), got: 0)
        } else if name.elementsEqual("monitor".utf8) {
            specials[index] = .monitor
        } else if name.elementsEqual("reset".utf8) {
            specials[index] = .reset
        }
    }

    private mutating func pair(_ reply: RESPSideParser.Value, requests: Int) -> ReplyPairing? {
        let isAggregate = reply.type == UInt8(ascii: "*") || reply.type == UInt8(ascii: ">")
        let isPush = reply.type == UInt8(ascii: ">")
        let confirmation = isAggregate && Self.subscriptionNames.contains(reply.head)
        if confirmation { subscribed = true }
        if isPush && !confirmation { return nil }
        if monitoring && !confirmation { return nil }
        if subscribed && isAggregate && Self.messageNames.contains(reply.head) { return nil }
        while nextToAnswer < requests {
            let request = nextToAnswer
            switch specials[request] {
            case .subscription(let name, let expected, let got):
                if confirmation && reply.head == name {
                    let total = got + 1
                    if let expected, total >= expected {
                        advance()
                    } else {
                        specials[request] = .subscription(name: name, expected: expected, got: total)
                    }
                    return ReplyPairing(request: request, isFirst: got == 0)
                }
                if got > 0 {
                    // The confirmations ended (an UNSUBSCRIBE without channels): on to the next.
                    advance()
                    continue
                }
                if isPush { return nil }
            case .monitor:
                monitoring = reply.type == UInt8(ascii: "+")
            case .reset:
                monitoring = false
                subscribed = false
            case nil:
                if isPush { return nil }
            }
            advance()
            return ReplyPairing(request: request, isFirst: true)
        }
        return nil
    }

    private mutating func advance() {
        specials[nextToAnswer] = nil
        nextToAnswer += 1
    }
}

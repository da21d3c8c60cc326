/// The `mqtt` decoder: MQTT 3.1, 3.1.1 and 5, both directions. A message is one control packet:
/// the fixed header (type, flags, remaining length), then remaining-length bytes.
///
/// The protocol level comes from the client's CONNECT (5 enables the property blocks that the
/// summaries skip, and the AUTH packet). Decode errors: packet type 0, type 15 (AUTH) when the
/// CONNECT said a level below 5, a PUBLISH with QoS 3, a remaining length longer than 4 bytes
/// (over 268,435,455). Flags of other packets are not checked.
///
/// Summaries: the packet type, then its topic and id: `CONNECT v5 client=sensor-1`,
/// `CONNACK rc=0`, `PUBLISH a/b qos1 id=7 retain`, `PUBACK id=7`, `SUBSCRIBE id=1 a/# b`,
/// `SUBACK id=1`, `PINGREQ`.
///
/// Pairing by type and packet id, in both directions (a broker publishes to subscribers too):
/// CONNECT → CONNACK, PUBLISH QoS 1 → PUBACK, PUBLISH QoS 2 → PUBREC → PUBREL → PUBCOMP (each
/// answers the one before and awaits the next), SUBSCRIBE → SUBACK, UNSUBSCRIBE → UNSUBACK,
/// PINGREQ → PINGRESP (in order). Every reply is the first and only one to its request.
///
/// Errors: each side's packets delimit themselves; an error on one side leaves the other
/// decoding. Memory: at most 16,384 requests awaiting a reply by id and 1,024 pings are
/// remembered; the replies of later ones are unpaired.
struct MQTTFramer: FramerEngine {
    private enum Stage: Sendable {
        /// The fixed header: its first byte, then the remaining length's bytes.
        case header
        case body(remaining: Int)
    }

    private struct Side: Sendable {
        var stage = Stage.header
        var first: UInt8?
        var length = 0
        var lengthBytes = 0
        var body: [UInt8] = []
        var start = 0
    }

    /// A request waiting for its reply: who sent it, the reply's type, the packet id.
    private struct Waiting: Hashable, Sendable {
        var requester: FrameSide
        var reply: MQTTPacket.Kind
        var id: Int
    }

    private static let captureSize = 512
    private static let maxPings = 1024
    private static let maxWaiting = 16_384

    private var sides = PerSide(Side())
    private var version: Int?
    private var waiting: [Waiting: Int] = [:]
    private var connect: Int?
    private var pings: [Int] = []

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        while i < bytes.count, ledger.isDecoding(side) {
            switch sides[side].stage {
            case .body(let remaining):
                let (next, left) = CountedBody.take(
                    bytes, from: i, remaining: remaining, capture: &sides[side].body, limit: Self.captureSize)
                i = next
                if left == 0 {
                    complete(side, end: base + i, &ledger)
                } else {
                    sides[side].stage = .body(remaining: left)
                }
            case .header:
                let byte = bytes[i]
                i += 1
                guard sides[side].first != nil else {
                    sides[side].start = base + i - 1
                    if let problem = check(byte) { return ledger.fail(side, at: base + i - 1, problem) }
                    sides[side].first = byte
                    continue
                }
                let state = sides[side]
                sides[side].length = state.length | Int(byte & 0x7f) << (7 * state.lengthBytes)
                sides[side].lengthBytes += 1
                if byte & 0x80 != 0 {
                    guard sides[side].lengthBytes < 4 else {
                        return ledger.fail(
                            side, at: base + i - 1,
                            "MQTT remaining length longer than 4 bytes (over 268435455)")
                    }
                    continue
                }
                let length = sides[side].length
                sides[side].stage = .body(remaining: length)
                if length == 0 { complete(side, end: base + i, &ledger) }
            }
        }
    }

    func remaining(_ side: FrameSide) -> Int? {
        if case .body(let remaining) = sides[side].stage { return remaining }
        return nil
    }

    func partialSummary(_ side: FrameSide) -> String {
        let state = sides[side]
        guard let first = state.first, let kind = MQTTPacket.Kind(rawValue: first >> 4) else {
            return "(fixed header)"
        }
        return MQTTPacket(kind: kind, flags: first & 15, body: state.body).summary(version: version)
    }

    /// Why a fixed header's first byte cannot start a packet, if it cannot.
    private func check(_ byte: UInt8) -> String? {
        switch byte >> 4 {
        case 0: return "MQTT packet type 0 is reserved"
        case 15 where (version ?? 5) < 5: return "MQTT packet type 15 (AUTH) before MQTT 5"
        case 3 where (byte >> 1) & 3 == 3: return "MQTT PUBLISH with QoS 3"
        default: return nil
        }
    }

    private mutating func complete(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let state = sides[side]
        sides[side] = Side()
        let first = state.first ?? 0
        guard let kind = MQTTPacket.Kind(rawValue: first >> 4) else { return }
        let packet = MQTTPacket(kind: kind, flags: first & 15, body: state.body)
        if kind == .connect, side == .client, let level = packet.protocolLevel { version = level }
        let id = packet.packetID
        var reply: ReplyPairing?
        var awaited: MQTTPacket.Kind?
        switch kind {
        case .connect: awaited = .connack
        case .connack:
            if side == .server, let request = connect {
                reply = ReplyPairing(request: request, isFirst: true)
                connect = nil
            }
        case .pingreq: awaited = .pingresp
        case .pingresp:
            if side == .server, !pings.isEmpty {
                reply = ReplyPairing(request: pings.removeFirst(), isFirst: true)
            }
        case .publish: awaited = packet.qos == 1 ? .puback : packet.qos == 2 ? .pubrec : nil
        case .pubrec: awaited = .pubrel
        case .pubrel: awaited = .pubcomp
        case .subscribe: awaited = .suback
        case .unsubscribe: awaited = .unsuback
        default: break
        }
        if reply == nil, let id,
            let request = waiting.removeValue(forKey: Waiting(requester: side.other, reply: kind, id: id))
        {
            reply = ReplyPairing(request: request, isFirst: true)
        }
        let index = ledger.emit(
            side, end: end, summary: packet.summary(version: version), reply: reply,
            awaitsReply: awaited != nil)
        guard let awaited else { return }
        switch kind {
        case .connect where side == .client: connect = index
        case .pingreq where side == .client: if pings.count < Self.maxPings { pings.append(index) }
        default:
            if let id, waiting.count < Self.maxWaiting {
                waiting[Waiting(requester: side, reply: awaited, id: id)] = index
            }
        }
    }
}

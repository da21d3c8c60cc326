/// What a framer reads of one MQTT control packet: its type and flags, and from the first bytes
/// of its variable header and payload, the summary's fields.
struct MQTTPacket: Sendable {
    /// The packet types (the fixed header's high nibble).
    enum Kind: UInt8, Sendable {
        case connect = 1
        case connack, publish, puback, pubrec, pubrel, pubcomp, subscribe, suback
        case unsubscribe, unsuback, pingreq, pingresp, disconnect, auth

        var name: String {
            switch self {
            case .connect: "CONNECT"
            case .connack: "CONNACK"
            case .publish: "PUBLISH"
            case .puback: "PUBACK"
            case .pubrec: "PUBREC"
            case .pubrel: "PUBREL"
            case .pubcomp: "PUBCOMP"
            case .subscribe: "SUBSCRIBE"
            case .suback: "SUBACK"
            case .unsubscribe: "UNSUBSCRIBE"
            case .unsuback: "UNSUBACK"
            case .pingreq: "PINGREQ"
            case .pingresp: "PINGRESP"
            case .disconnect: "DISCONNECT"
            case .auth: "AUTH"
            }
        }

        /// Whether the packet's variable header starts with a packet identifier.
        var startsWithID: Bool {
            switch self {
            case .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .suback, .unsubscribe, .unsuback: true
            default: false
            }
        }
    }

    var kind: Kind
    /// The fixed header's low nibble.
    var flags: UInt8
    /// The first bytes of the packet after the fixed header.
    var body: [UInt8]

    /// A PUBLISH's quality of service.
    var qos: Int { Int(flags >> 1) & 3 }

    /// The packet identifier, when the packet has one and its bytes were captured.
    var packetID: Int? {
        if kind.startsWithID { return ByteParsing.bigEndian(body[...], at: 0, count: 2) }
        guard kind == .publish, qos > 0, let topicLength = ByteParsing.bigEndian(body[...], at: 0, count: 2)
        else {
            return nil
        }
        return ByteParsing.bigEndian(body[...], at: 2 + topicLength, count: 2)
    }

    /// A CONNECT's protocol level (3: 3.1, 4: 3.1.1, 5: 5), when captured.
    var protocolLevel: Int? {
        guard kind == .connect, let nameLength = ByteParsing.bigEndian(body[...], at: 0, count: 2),
            nameLength + 2 < body.count
        else { return nil }
        return Int(body[nameLength + 2])
    }

    /// The one-line summary; `version` is the conversation's protocol level when known.
    func summary(version: Int?) -> String {
        var out = SummaryBuilder()
        out.append(kind.name)
        let bytes = body[...]
        switch kind {
        case .connect:
            if let level = protocolLevel {
                out.append(
                    level == 3 ? " v3.1" : level == 4 ? " v3.1.1" : level == 5 ? " v5" : " level \(level)")
                let nameLength = ByteParsing.bigEndian(bytes, at: 0, count: 2) ?? 0
                var at = nameLength + 2 + 4  // name, level, flags, keep-alive
                if level == 5, let skipped = Self.skipProperties(bytes, at: at) { at = skipped }
                if let id = Self.string(bytes, at: at) {
                    out.append(" client=")
                    out.append(bytes: id)
                }
            }
        case .connack:
            if let code = ByteParsing.bigEndian(bytes, at: 1, count: 1) { out.append(" rc=\(code)") }
        case .publish:
            if let topic = Self.string(bytes, at: 0) {
                out.append(" ")
                if topic.isEmpty { out.append("(topic alias)") } else { out.append(bytes: topic) }
            }
            if qos > 0 { out.append(" qos\(qos)") }
            if let id = packetID { out.append(" id=\(id)") }
            if flags & 1 != 0 { out.append(" retain") }
            if flags & 8 != 0 { out.append(" dup") }
        case .subscribe, .unsubscribe:
            if let id = packetID { out.append(" id=\(id)") }
            var at = 2
            if version == 5, let skipped = Self.skipProperties(bytes, at: at) { at = skipped }
            while let filter = Self.string(bytes, at: at) {
                out.append(" ")
                out.append(bytes: filter)
                at += 2 + filter.count + (kind == .subscribe ? 1 : 0)
            }
        default:
            if let id = packetID { out.append(" id=\(id)") }
        }
        return out.text
    }

    /// A two-byte-length string at `at`, if all of it was captured.
    static func string(_ bytes: ArraySlice<UInt8>, at: Int) -> ArraySlice<UInt8>? {
        guard let length = ByteParsing.bigEndian(bytes, at: at, count: 2), at + 2 + length <= bytes.endIndex
        else {
            return nil
        }
        return bytes[(at + 2)..<(at + 2 + length)]
    }

    /// The offset after an MQTT 5 property block (a variable byte integer length, then that many
    /// bytes) starting at `at`, if its length was captured.
    static func skipProperties(_ bytes: ArraySlice<UInt8>, at: Int) -> Int? {
        var length = 0
        var shift = 0
        var i = at
        while i < bytes.endIndex, shift <= 21 {
            let byte = bytes[i]
            length |= Int(byte & 0x7f) << shift
            i += 1
            if byte & 0x80 == 0 { return i + length }
            shift += 7
        }
        return nil
    }
}

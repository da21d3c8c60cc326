import Testing

@_spi(Fuzzing) @testable import FlowFramers

/// An MQTT string: a 2-byte big-endian length, then the bytes.
func mqttString(_ text: String) -> [UInt8] {
    let bytes = Array(text.utf8)
    return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
}

/// An MQTT packet: the first byte, the remaining length (variable byte integer), the rest.
func mqtt(_ first: UInt8, _ rest: [UInt8]) -> [UInt8] {
    var length = rest.count
    var encoded: [UInt8] = []
    repeat {
        var byte = UInt8(length % 128)
        length /= 128
        if length > 0 { byte |= 0x80 }
        encoded.append(byte)
    } while length > 0
    return [first] + encoded + rest
}

@Suite("MQTT framer: 3.1.1 and 5")
struct MQTTFramerTests {
    /// A v5 session: CONNECT with properties, a QoS 1 and a QoS 2 publish from the client, a
    /// subscription, a QoS 1 publish from the broker, pings.
    static let v5Session = Transcript()
        .then(
            .client,
            mqtt(
                0x10,
                mqttString("MQTT") + [5, 0x02, 0, 60] + [5, 0x11, 0, 0, 0, 10] + mqttString("sensor-1"))
        )
        .then(.server, mqtt(0x20, [0, 0, 3, 0x21, 0, 20]))
        .then(.client, mqtt(0x32, mqttString("a/b") + [0, 7] + [0] + Array("hot".utf8)))
        .then(.client, mqtt(0x34, mqttString("a/c") + [0, 8] + [2, 0x01, 1] + Array("x".utf8)))
        .then(.server, mqtt(0x40, [0, 7]) + mqtt(0x50, [0, 8]))
        .then(.client, mqtt(0x62, [0, 8]))
        .then(.server, mqtt(0x70, [0, 8]))
        .then(.client, mqtt(0x82, [0, 9] + [2, 0x0b, 5] + mqttString("a/#") + [1] + mqttString("b") + [0]))
        .then(.server, mqtt(0x90, [0, 9, 0, 1, 0]))
        .then(.server, mqtt(0x32, mqttString("a/x") + [0, 1] + [0] + Array("pushed".utf8)))
        .then(.client, mqtt(0x40, [0, 1]) + [0xc0, 0])
        .then(.server, [0xd0, 0])
        .then(.client, [0xe0, 0])

    @Test("a v5 session: summaries with topics and ids, properties skipped, pairing by type and id")
    func v5Session() {
        let outcome = Self.v5Session.run(.mqtt)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(
            outcome.summaries(.client) == [
                "CONNECT v5 client=sensor-1", "PUBLISH a/b qos1 id=7", "PUBLISH a/c qos2 id=8", "PUBREL id=8",
                "SUBSCRIBE id=9 a/# b", "PUBACK id=1", "PINGREQ", "DISCONNECT",
            ])
        #expect(
            outcome.summaries(.server) == [
                "CONNACK rc=0", "PUBACK id=7", "PUBREC id=8", "PUBCOMP id=8", "SUBACK id=9",
                "PUBLISH a/x qos1 id=1",
                "PINGRESP",
            ])
        #expect(outcome.pairing(.server) == ["0", "1", "2", "3", "4", "-", "6"])
        #expect(outcome.pairing(.client) == ["-", "-", "-", "2", "-", "5", "-", "-"])
        #expect(
            outcome.messages(.client).map(\.awaitsReply) == [
                true, true, true, true, true, false, true, false,
            ])
    }

    @Test("3.1.1: CONNECT level 4, retained QoS 0 publish, UNSUBSCRIBE/UNSUBACK")
    func v311() {
        let outcome = Transcript()
            .then(.client, mqtt(0x10, mqttString("MQTT") + [4, 0x02, 0, 60] + mqttString("c")))
            .then(.server, mqtt(0x20, [0, 0]))
            .then(.client, mqtt(0x31, mqttString("t") + Array("v".utf8)))
            .then(.client, mqtt(0xa2, [0, 3] + mqttString("t")))
            .then(.server, mqtt(0xb0, [0, 3]))
            .run(.mqtt)
        #expect(
            outcome.summaries(.client) == [
                "CONNECT v3.1.1 client=c", "PUBLISH t retain", "UNSUBSCRIBE id=3 t",
            ])
        #expect(outcome.pairing(.server) == ["0", "2"])
    }

    @Test("a large PUBLISH: 4-byte remaining length, remaining bytes known after the header")
    func largePacket() {
        let payload = [UInt8](repeating: 0x61, count: 2_100_000)
        var conversation = FrameConversation(.mqtt)
        let packet = mqtt(0x30, mqttString("big") + payload)
        _ = conversation.feed(.client, Array(packet.prefix(10)))
        #expect(conversation.progress(.client).remaining == packet.count - 10)
        let rest = conversation.feed(.client, Array(packet.dropFirst(10)))
        #expect(rest.messages.map(\.byteCount) == [packet.count])
    }

    @Test("hostile: a 5-byte remaining length, type 0, AUTH before v5, QoS 3 are decode errors")
    func hostile() {
        let connect311 = mqtt(0x10, mqttString("MQTT") + [4, 0x02, 0, 60] + mqttString("c"))
        let cases: [([UInt8], String)] = [
            (
                [0x30, 0xff, 0xff, 0xff, 0xff, 0x01],
                "MQTT remaining length longer than 4 bytes (over 268435455)"
            ),
            ([0x00, 0x00], "MQTT packet type 0 is reserved"),
            (connect311 + [0xf0, 0x00], "MQTT packet type 15 (AUTH) before MQTT 5"),
            ([0x36, 0x00], "MQTT PUBLISH with QoS 3"),
        ]
        for (bytes, reason) in cases {
            let outcome = Transcript().then(.client, bytes).run(.mqtt)
            #expect(outcome.decodeErrors.map(\.reason) == [reason])
        }
        let biggest = Transcript().then(.client, [0x30, 0xff, 0xff, 0xff, 0x7f]).run(.mqtt)
        #expect(biggest.decodeErrors.isEmpty)
    }
}

import Testing

@_spi(Fuzzing) @testable import FlowFramers

@Suite("Choosing a decoder: --decode specs and auto")
struct DecoderChoiceTests {
    @Test("every name and len:SPEC parses and spells itself back")
    func roundTrip() throws {
        for text in DecoderSpec.names + [
            "len:u8", "len:u16be@2+4", "len:u32le-4", "len:u32be@1-4", "len:u16le@65535",
        ] {
            let spec = try DecoderSpec(parsing: text)
            #expect(spec.description == text)
            #expect(try DecoderSpec(parsing: spec.description) == spec)
        }
        #expect(try DecoderSpec(parsing: "HTTP") == .http)
        #expect(
            try DecoderSpec(parsing: "len:u16be@2+4")
                == .length(LengthPrefix(field: .u16be, fieldOffset: 2, adjustment: 4)))
        #expect(try DecoderSpec(parsing: "len:u32be").protocolName == "len")
    }

    @Test("bad specs say what is wrong")
    func errors() {
        let cases: [(String, String)] = [
            (
                "htp",
                "bad decoder \"htp\": unknown decoder \"htp\"; expected auto, none, http, resp, postgres, mqtt, lines or len:SPEC"
            ),
            (
                "",
                "bad decoder \"\": empty decoder name; expected auto, none, http, resp, postgres, mqtt, lines or len:SPEC"
            ),
            ("len", "bad decoder \"len\": len needs a SPEC, e.g. len:u32be or len:u16be@2+4"),
            (
                "len:u24",
                "bad decoder \"len:u24\": unknown length field \"u24\"; expected one of u8, u16be, u16le, u32be, u32le"
            ),
            (
                "len:@2",
                "bad decoder \"len:@2\": missing length field; expected one of u8, u16be, u16le, u32be, u32le"
            ),
            ("len:u8@", "bad decoder \"len:u8@\": @OFFSET needs a decimal number"),
            ("len:u8@70000", "bad decoder \"len:u8@70000\": @OFFSET over 65535"),
            ("len:u8+99999999999", "bad decoder \"len:u8+99999999999\": the adjustment over 2147483647"),
            (
                "len:u8+4@2",
                "bad decoder \"len:u8+4@2\": unexpected \"@2\"; expected FIELD[@OFFSET][+ADJ|-ADJ], e.g. u16be@2+4"
            ),
            (
                "ht\u{1b}[2Jtp",
                "bad decoder \"ht\\x1b[2Jtp\": unknown decoder \"ht\\x1b[2Jtp\"; expected auto, none, http, resp, postgres, mqtt, lines or len:SPEC"
            ),
        ]
        for (text, message) in cases {
            #expect(throws: DecoderSpecError.self) { try DecoderSpec(parsing: text) }
            do {
                _ = try DecoderSpec(parsing: text)
            } catch {
                #expect(error.description == message)
            }
        }
    }

    @Test("auto decides from the first piece of either side, with the port as a hint")
    func detection() {
        let startup = be32(9 + 5) + be32(196_608) + cstr("user") + [0]
        let cases: [([UInt8], FrameSide, Int?, DecoderSpec)] = [
            (Array("GET / HTTP/1.1\r\n".utf8), .client, nil, .http),
            (Array("PROPFIND /x HTTP/1.1\r\n".utf8), .client, nil, .http),
            (Array("G".utf8), .client, 8080, .http),
            (Array("G".utf8), .client, nil, .none),
            (Array("HTTP/1.1 200 OK\r\n".utf8), .server, nil, .http),
            (Array("*1\r\n$4\r\nPING\r\n".utf8), .client, nil, .resp),
            (Array("PING\r\n".utf8), .client, 6379, .resp),
            (Array("PING\r\n".utf8), .client, nil, .none),
            (Array("*".utf8), .client, 6379, .resp),
            (startup, .client, nil, .postgres),
            (be32(8) + be32(80_877_103), .client, 9999, .postgres),
            ([0, 0], .client, 5432, .postgres),
            (mqtt(0x10, mqttString("MQTT") + [4, 2, 0, 60] + mqttString("c")), .client, nil, .mqtt),
            ([0x10], .client, 1883, .mqtt),
            (Array("220 mail.example ESMTP\r\n".utf8), .server, nil, .lines),
            ([0x16, 0x03, 0x01, 0x02, 0x00], .client, 443, .none),
            ([0x16, 0x03, 0x01, 0x02, 0x00], .client, 80, .none),
            ([0xff, 0x00], .client, nil, .none),
        ]
        for (bytes, side, port, expected) in cases {
            #expect(
                ProtocolDetector.detect(bytes, from: side, portHint: port) == expected,
                "\(bytes.prefix(8)) \(side) \(port ?? 0)")
        }
    }

    @Test("an auto conversation decodes the deciding piece and reports the decision once")
    func autoConversation() {
        var conversation = FrameConversation(.auto, portHint: 6379)
        #expect(conversation.progress(.client).mode == .undecided)
        #expect(conversation.feed(.client, [UInt8]()).isEmpty)
        let first = conversation.feed(.client, Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(first.decided == .resp)
        #expect(first.messages.map(\.summary) == ["PING"])
        let second = conversation.feed(.server, Array("+PONG\r\n".utf8))
        #expect(second.decided == nil)
        #expect(second.messages.map(\.summary) == ["+PONG"])
        var none = FrameConversation(.auto)
        #expect(none.feed(.server, [0xff]).decided == DecoderSpec.none)
        #expect(none.progress(.client).mode == .raw && none.progress(.server).bytesFed == 1)
    }

    @Test("cuts: where a piece is split so that no part carries two messages")
    func cuts() {
        var conversation = FrameConversation(.resp)
        _ = conversation.feed(.server, Array("+OK\r".utf8))
        let piece = Array("\n:1\r\n$3\r\nab".utf8)
        let start = conversation.progress(.server).bytesFed
        let found = conversation.feed(.server, piece)
        #expect(found.cuts(forPieceAt: start, count: piece.count) == [1, 5])
    }
}

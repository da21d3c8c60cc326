import Testing

@_spi(Fuzzing) @testable import FlowFramers

@Suite("Generic framers: lines and len:SPEC")
struct GenericFramerTests {
    @Test("lines: \\n and \\r\\n endings, an empty line, a last line ended by EOF, escaped summaries")
    func lines() {
        let outcome = Transcript()
            .then(.server, "220 smtp.example ESMTP\r\n")
            .then(.client, "EHLO me\r\n\r\nDATA\nbad\u{1b}[2Jline\r")
            .end(.client)
            .run(.lines)
        #expect(outcome.summaries(.client) == ["EHLO me", "(empty line)", "DATA", "bad\\x1b[2Jline\\r"])
        #expect(outcome.summaries(.server) == ["220 smtp.example ESMTP"])
        #expect(outcome.messages(.client).map(\.isTruncated) == [false, false, false, false])
        #expect(outcome.messages(.client).map(\.byteCount) == [9, 2, 5, 12])
    }

    @Test("len:u16be@2+4 — a 2-byte type, a big-endian length, 4 more bytes than it says")
    func lengthWithOffsetAndAdjustment() throws {
        let spec = try DecoderSpec(parsing: "len:u16be@2+4")
        let record: [UInt8] = [0xAB, 0xCD, 0x00, 0x03] + Array("abc".utf8) + [1, 2, 3, 4]
        let outcome = Transcript().then(.client, record + record).then(.client, Array(record.prefix(5))).end(
            .client
        ).run(spec)
        #expect(outcome.messages(.client).map(\.byteCount) == [11, 11, 5])
        #expect(outcome.summaries(.client)[0] == "11 B: \\xab\\xcd\\x00\\x03abc\\x01\\x02\\x03\\x04")
        #expect(outcome.messages(.client)[2].isTruncated)
    }

    @Test("len: every field width and byte order; a length that counts itself; negative is an error")
    func lengthFields() throws {
        let cases: [(String, [UInt8], Int)] = [
            ("len:u8", [3, 1, 2, 3], 4),
            ("len:u16le", [2, 0, 9, 9], 4),
            ("len:u32le", [1, 0, 0, 0, 7], 5),
            ("len:u32be-4", be32(6) + [1, 2], 6),
            ("len:u32be@1-4", [UInt8(ascii: "Q")] + be32(5) + [0], 6),
        ]
        for (text, record, size) in cases {
            let outcome = Transcript().then(.server, record + record).run(try DecoderSpec(parsing: text))
            #expect(outcome.messages.map(\.byteCount) == [size, size], "\(text)")
        }
        var conversation = FrameConversation(try DecoderSpec(parsing: "len:u8-5"))
        let found = conversation.feed(.client, [2, 0, 0])
        #expect(found.decodeErrors.map(\.reason) == ["length 2 with adjustment -5 is negative"])
    }
}

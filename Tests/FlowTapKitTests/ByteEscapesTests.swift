import FlowCore
import FlowFaults
import FlowTapKit
import Testing

@Suite("ByteEscapes: bytes as typed text and back")
struct ByteEscapesTests {
    @Test("every one of the 256 byte values round-trips, alone and all together")
    func allByteValuesRoundTrip() throws {
        for value in 0...255 {
            let bytes = [UInt8(value)]
            let text = ByteEscapes.encode(bytes)
            #expect(try ByteEscapes.decode(text) == bytes, "byte \(value) as \(text)")
            #expect(text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f }, "\(value)")
        }
        let all = (0...255).map(UInt8.init)
        #expect(try ByteEscapes.decode(ByteEscapes.encode(all)) == all)
        #expect(try ByteEscapes.decode(ByteEscapes.encode(all.reversed())) == all.reversed())
    }

    @Test("random byte strings round-trip (seeded)")
    func randomRoundTrip() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            #expect(try ByteEscapes.decode(ByteEscapes.encode(bytes)) == bytes)
        }
    }

    @Test("the text form: printable ASCII as is, \\r \\n \\t \\\\ named, the rest \\xNN")
    func encodeForm() {
        #expect(ByteEscapes.encode(Array("Host: a\r\n\t\\".utf8)) == #"Host: a\r\n\t\\"#)
        #expect(ByteEscapes.encode([0x00, 0x7f, 0xff, 0x1b]) == #"\x00\x7f\xff\x1b"#)
    }

    @Test("decoding reads either hex case and non-ASCII text as UTF-8")
    func decodeForms() throws {
        #expect(try ByteEscapes.decode(#"\xAb\xcD"#) == [0xab, 0xcd])
        #expect(try ByteEscapes.decode("é") == [0xc3, 0xa9])
        #expect(try ByteEscapes.decode(#"a\r\nb"#) == Array("a\r\nb".utf8))
    }

    @Test("bad escapes say what and where")
    func decodeErrors() {
        #expect(throws: ByteEscapes.DecodeError(position: 2, reason: #"unknown escape \q"#)) {
            try ByteEscapes.decode(#"a\qb"#)
        }
        #expect(throws: ByteEscapes.DecodeError(position: 1, reason: #"\x needs two hex digits"#)) {
            try ByteEscapes.decode(#"\x4"#)
        }
        #expect(throws: ByteEscapes.DecodeError(position: 1, reason: #"\x needs two hex digits"#)) {
            try ByteEscapes.decode(#"\xg0"#)
        }
        #expect(throws: ByteEscapes.DecodeError(position: 3, reason: #"a lone \ at the end"#)) {
            try ByteEscapes.decode(#"ab\"#)
        }
        #expect(ByteEscapes.DecodeError(position: 3, reason: "x").description == "x at character 3")
    }
}

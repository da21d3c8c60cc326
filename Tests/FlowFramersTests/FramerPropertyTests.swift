import FlowTestSupport
import TestSupport
import Testing

@_spi(Fuzzing) @testable import FlowFramers

/// Seeded properties of every framer: how a stream is cut into pieces never changes what is
/// found; random bytes never crash, never report a message past the bytes fed, and report a
/// decode error at most once per side.
@Suite("Framer properties: cuts, random bytes", .busyThreads)
struct FramerPropertyTests {
    static func corpus() throws -> [(DecoderSpec, Transcript)] {
        let prefixSpec = try DecoderSpec(parsing: "len:u16be@2+4")
        let record: [UInt8] = [0xAB, 0xCD, 0x00, 0x03] + Array("abc".utf8) + [1, 2, 3, 4]
        return [
            (.resp, try .fixture("redis-cli-session")),
            (.resp, try .fixture("redis-cli-pipe")),
            (.resp, try .fixture("redis-cli-subscribe")),
            (.postgres, try .fixture("psql-session")),
            (.postgres, try .fixture("psql-copy-notify")),
            (.http, HTTPFramerTests.chunkedKeepAlive),
            (.http, try .fixture("curl-keep-alive")),
            (.mqtt, MQTTFramerTests.v5Session),
            (.lines, Transcript().then(.client, "a\r\nbb\n\r\nccc").end(.client)),
            (prefixSpec, Transcript().then(.server, record + record + record)),
        ]
    }

    @Test(
        "a valid stream cut at random points (one-byte reads included) gives the same messages (200 seeds each)"
    )
    func randomCuts() throws {
        for (spec, transcript) in try Self.corpus() {
            let whole = transcript.run(spec)
            #expect(!whole.messages.isEmpty)
            #expect(whole.decodeErrors.isEmpty, "\(spec)")
            let seeds = transcript.bytes(.server).count > 100_000 ? 20 : 200
            for seed in 0..<seeds {
                let cut = transcript.runCut(spec, seed: UInt64(seed))
                #expect(cut == whole, "\(spec) seed \(seed)")
                if cut != whole { break }
            }
        }
    }

    @Test("auto over the recordings picks the protocol from the first piece and finds the same messages")
    func autoOverRecordings() throws {
        for (spec, transcript) in try Self.corpus().prefix(8) {
            #expect(transcript.run(.auto) == transcript.run(spec), "\(spec)")
        }
    }

    @Test("random bytes, every framer, random schedules: invariants hold in three splittings (2,000 seeds)")
    func randomBytes() throws {
        let specs: [DecoderSpec] = [
            .http, .resp, .postgres, .mqtt, .lines, .auto, try DecoderSpec(parsing: "len:u8"),
            try DecoderSpec(parsing: "len:u32le@3-2"),
        ]
        var rng = SeededRandom(seed: 13)
        for seed in 0..<2000 {
            let count = Int.random(in: 0...600, using: &rng)
            // Mostly random bytes, sometimes text-like, so the parsers get past their first line.
            let alphabet: [UInt8] = Array("*$+-:\r\n0123456789GET /HTTP1.QSZ".utf8) + [0, 0x10, 0x30, 0x82]
            let textual = Bool.random(using: &rng)
            let data = (0..<count).map { _ in
                textual ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            for spec in specs {
                let outcome = data.withUnsafeBytes {
                    FramerFuzzing.check(spec, portHint: seed % 2 == 0 ? 6379 : nil, $0)
                }
                for side in FrameSide.allCases {
                    let s = side == .client ? 0 : 1
                    let sizes = outcome.messages(side).map(\.byteCount).reduce(0, +)
                    #expect(sizes <= outcome.fed[s])
                    #expect(outcome.decodeErrors.filter { $0.side == side }.count <= 1)
                }
            }
        }
    }

    @Test("the fuzz entry points run on odd inputs (empty, one byte, all zeros, all 0xff)")
    func fuzzEntryPoints() {
        let inputs: [[UInt8]] = [
            [], [0], [UInt8](repeating: 0, count: 300), [UInt8](repeating: 0xff, count: 300),
        ]
        for input in inputs {
            input.withUnsafeBytes { data in
                FramerFuzzing.http(data)
                FramerFuzzing.resp(data)
                FramerFuzzing.postgres(data)
                FramerFuzzing.mqtt(data)
                FramerFuzzing.lines(data)
                FramerFuzzing.length(data)
                FramerFuzzing.auto(data)
                FramerFuzzing.spec(data)
            }
        }
    }

    @Test("4 MB of pipelined commands in 64 KiB pieces that cut commands anywhere")
    func volume() {
        var conversation = FrameConversation(.resp)
        let command = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n".utf8)
        let stream = [UInt8]((0..<(64 * 65_536 / command.count)).flatMap { _ in command })
        var messages = 0
        var start = 0
        while start < stream.count {
            let end = min(start + 65_536, stream.count)
            messages += conversation.feed(.client, Array(stream[start..<end])).messages.count
            start = end
        }
        #expect(messages == 64 * 65_536 / command.count)
        #expect(conversation.progress(.client).bytesFed == stream.count)
        #expect(!conversation.progress(.client).isInMessage)
    }
}

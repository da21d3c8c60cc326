import FlowCapture
import FlowCore
import FlowEvents
import FlowFramers
import FlowTapKit
import NIOCore
import Testing

@Suite("Messages from recorded events: EventDecoder, CaptureDecoding, replay scripts and message comparison")
struct MessageDecodingTests {
    static func data(_ d: Direction, _ offset: Int, _ text: String, at time: UInt64) -> SessionEvent {
        SessionEvent(conn: 1, .data(d, offset: offset, bytes: ByteBuffer(string: text)), time: time)
    }

    /// What each event is, in one word: `data c2s`, `message s2c +PONG`, `decoder resp`.
    static func shape(_ events: [SessionEvent]) -> [String] {
        events.compactMap { event in
            switch event.kind {
            case .data(let d, _, _): "data \(d.rawValue)"
            case .decoder(let proto): "decoder \(proto)"
            case .message(let d, let m): "message \(d.rawValue) \(m.summary)"
            case .decodeError(let d, _, _, _): "decode_error \(d.rawValue)"
            case .eof(let d): "eof \(d.rawValue)"
            case .close: "close"
            default: nil
            }
        }
    }

    @Test("a reply split over two data events: message after the second, latency from the first")
    func latencyAndPlacement() {
        var decoder = EventDecoder(.auto, portHint: 6379)
        var out: [SessionEvent] = []
        for event in [
            Self.data(.c2s, 0, "*1\r\n$4\r\n", at: 1_000),
            Self.data(.c2s, 8, "PING\r\n", at: 1_500),
            Self.data(.s2c, 0, "+PO", at: 4_000),
            Self.data(.s2c, 3, "NG\r\n*1\r\n$4\r\nPI", at: 9_000),
            SessionEvent(conn: 1, .close(c2s: Stats(), s2c: Stats()), time: 10_000),
        ] {
            out += decoder.decode(event)
        }
        #expect(
            Self.shape(out) == [
                "data c2s", "decoder resp", "data c2s", "message c2s PING", "data s2c", "data s2c",
                "message s2c +PONG", "message s2c *1 PI", "close",
            ])
        let messages = out.compactMap { event -> (UInt64, DecodedMessage)? in
            if case .message(_, let m) = event.kind { return (event.time, m) }
            return nil
        }
        #expect(
            messages[0].1 == DecodedMessage(proto: "resp", index: 0, offset: 0, bytes: 14, summary: "PING"))
        // From the request's last byte (1 500) to the reply's first (4 000).
        #expect(messages[1].1.latency == 2_500)
        #expect(messages[1].1.request == 0)
        #expect(messages[1].0 == 9_000)
        // Cut short by the close: reported before it, truncated.
        #expect(messages[2].1.truncated)
        #expect(messages[2].1.offset == 7)
    }

    @Test("a hole in a direction's bytes ends its decoding; the other direction goes on")
    func gapEndsDirection() {
        var decoder = EventDecoder(.resp)
        var out: [SessionEvent] = []
        for event in [
            Self.data(.c2s, 0, "*1\r\n$4\r\nPING\r\n", at: 1),
            Self.data(.s2c, 0, "+PO", at: 2),
            Self.data(.s2c, 100, "+OK\r\n", at: 3),
            Self.data(.c2s, 14, "*1\r\n$4\r\nPING\r\n", at: 4),
        ] {
            out += decoder.decode(event)
        }
        #expect(
            Self.shape(out) == [
                "data c2s", "decoder resp", "message c2s PING", "data s2c", "data s2c", "message s2c ",
                "data c2s", "message c2s PING",
            ])
    }

    @Test("garbage in both directions: at most one decode_error each, however it is cut, never a crash")
    func garbage() {
        var random = SystemRandomNumberGenerator()
        for spec in [DecoderSpec.resp, .http, .postgres, .mqtt, .lines, .auto] {
            for _ in 0..<20 {
                var decoder = EventDecoder(spec)
                var offsets = [Direction.c2s: 0, .s2c: 0]
                var out: [SessionEvent] = []
                for i in 0..<30 {
                    let d: Direction = Bool.random(using: &random) ? .c2s : .s2c
                    var bytes = (0..<Int.random(in: 1...64, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    }
                    // Not RESP: an array of length "zz" from the client, a 0x01 type from the server.
                    if offsets[d] == 0 { bytes = (d == .c2s ? Array("*zz\r\n".utf8) : [0x01]) + bytes }
                    out += decoder.decode(
                        SessionEvent(
                            conn: 1, .data(d, offset: offsets[d]!, bytes: ByteBuffer(bytes: bytes)),
                            time: UInt64(i)))
                    offsets[d]! += bytes.count
                }
                out += decoder.finish(conn: 1, time: 99)
                var errors: [Direction: Int] = [:]
                for event in out {
                    if case .decodeError(let d, _, _, _) = event.kind { errors[d, default: 0] += 1 }
                }
                #expect(errors.values.allSatisfy { $0 == 1 }, "\(spec)")
                if spec == .resp { #expect(errors.count == 2) }
            }
        }
    }

    @Test(
        "CaptureDecoding: auto keeps a capture's own messages; a named decoder decodes again; none removes them"
    )
    func captureDecodingModes() {
        let captured = DecodedMessage(proto: "resp", index: 0, offset: 0, bytes: 14, summary: "as captured")
        let with = CapturedSession(
            id: 1, client: nil, server: .ip(host: "127.0.0.1", port: 6379),
            events: [
                Self.data(.c2s, 0, "*1\r\n$4\r\nPING\r\n", at: 1),
                SessionEvent(conn: 1, .decoder("resp"), time: 1),
                SessionEvent(conn: 1, .message(.c2s, captured), time: 1),
            ])
        #expect(CaptureDecoding.decoded(with, .auto) == with)
        #expect(Self.shape(CaptureDecoding.decoded(with, .none).events) == ["data c2s"])
        #expect(
            Self.shape(CaptureDecoding.decoded(with, .lines).events) == [
                "data c2s", "decoder lines", "message c2s *1", "message c2s $4", "message c2s PING",
            ])
        let without = CapturedSession(
            id: 1, client: nil, server: .ip(host: "127.0.0.1", port: 6379),
            events: [Self.data(.c2s, 0, "*1\r\n$4\r\nPING\r\n", at: 1)])
        #expect(
            Self.shape(CaptureDecoding.decoded(without, .auto).events) == [
                "data c2s", "decoder resp", "message c2s PING",
            ])
    }

    @Test("a replay script: edits undone, drops restored, injections left out of what the source sent")
    func scriptOriginals() {
        let session = CapturedSession(
            id: 1, client: nil, server: nil,
            events: [
                Self.data(.c2s, 0, "GET a\n", at: 1),
                SessionEvent(
                    conn: 1,
                    .edit(
                        .s2c, originalBytes: 4, originalSHA256: "", bytes: 4,
                        original: ByteBuffer(string: "one\n")),
                    time: 2),
                Self.data(.s2c, 0, "ONE\n", at: 2),
                SessionEvent(conn: 1, .inject(.s2c, bytes: 4), time: 3),
                Self.data(.s2c, 4, "inj\n", at: 3),
                SessionEvent(
                    conn: 1, .drop(.s2c, bytes: 4, sha256: "", original: ByteBuffer(string: "two\n")), time: 4
                ),
                SessionEvent(
                    conn: 1, .rewrite(.s2c, count: 1, originalBytes: 5, bytes: 5, originalSHA256: ""), time: 5
                ),
                Self.data(.s2c, 8, "thre\n", at: 5),
                SessionEvent(conn: 1, .drop(.s2c, bytes: 9, sha256: "", original: nil), time: 6),
            ])
        let script = ReplayScript(session)
        #expect(String(decoding: script.bytes[.s2c]!, as: UTF8.self) == "ONE\ninj\nthre\n")
        #expect(String(decoding: script.sourced[.s2c]!, as: UTF8.self) == "one\ntwo\nthre\n")
        #expect(script.unknownOriginals[.s2c] == 2)
        #expect(script.unknownOriginals[.c2s] == 0)
        // Playing the client, the server's side is what the server sent.
        let decoded = script.conversation(playing: .client, conn: 1).compactMap { event -> String? in
            guard case .data(let d, let offset, let bytes) = event.kind else { return nil }
            return "\(d.rawValue)@\(offset) \(String(buffer: bytes))"
        }
        #expect(decoded == ["c2s@0 GET a\n", "s2c@0 one\n", "s2c@4 two\n", "s2c@8 thre\n"])
        // Playing the server, it sends what the client got.
        #expect(
            script.steps[.s2c]!.compactMap { step -> String? in
                if case .send(let chunk) = step.action { return String(buffer: chunk) }
                return nil
            } == ["ONE\n", "inj\n", "thre\n"])
    }

    @Test(
        "message comparison: summaries and bytes, the first difference by index, --ignore by reply or request"
    )
    func messageComparison() throws {
        func stream(_ replies: [(String, String)], requests: [String]) -> ReplayMessageComparison.Stream {
            var s = ReplayMessageComparison.Stream()
            for (i, request) in requests.enumerated() { s.requests[i] = request }
            for (i, (summary, bytes)) in replies.enumerated() {
                s.messages.append(
                    DecodedMessage(
                        proto: "resp", index: i, offset: s.bytes.count, bytes: bytes.utf8.count,
                        summary: summary,
                        request: i))
                s.bytes += bytes.utf8
            }
            return s
        }
        let requests = ["PING", "TIME", "GET k"]
        let expected = stream(
            [("+PONG", "+PONG\r\n"), ("*2 1 2", "*2 1 2"), ("$1 v", "$1\r\nv\r\n")], requests: requests)
        let got = stream(
            [("+PONG", "+PONG\r\n"), ("*2 3 4 5", "*2 3 4 5"), ("$1 v", "$1\r\nv\r\n")], requests: requests)
        let differs = ReplayMessageComparison(
            proto: "resp", expected: expected, got: got, ignore: ReplayIgnore())
        #expect(!differs.matches)
        #expect(differs.difference?.expected?.index == 1)
        #expect(differs.difference?.offset == 7)
        #expect(
            differs.text.hasPrefix(
                "first difference at message #1: expected \"*2 1 2\" (6 B), got \"*2 3 4 5\" (8 B)\n"))
        for pattern in ["^TIME$", "^\\*2 "] {
            let same = ReplayMessageComparison(
                proto: "resp", expected: expected, got: got, ignore: try ReplayIgnore([pattern]))
            #expect(same.matches, "\(pattern)")
            #expect(same.ignoredExpected == 1 && same.ignoredGot == 1)
            #expect(same.counts == "resp: 2 messages compared, 1 ignored")
        }
        // Same summary, other bytes: still a difference.
        let bytes = stream(
            [("+PONG", "+PONG\r\n"), ("*2 1 2", "*2 1 3"), ("$1 v", "$1\r\nv\r\n")], requests: requests)
        #expect(
            ReplayMessageComparison(proto: "resp", expected: expected, got: bytes, ignore: ReplayIgnore())
                .difference?.expected?.index == 1)
        // A message missing at the end.
        let short = stream([("+PONG", "+PONG\r\n"), ("*2 1 2", "*2 1 2")], requests: requests)
        let missing = ReplayMessageComparison(
            proto: "resp", expected: expected, got: short, ignore: ReplayIgnore())
        #expect(missing.difference?.got == nil)
        #expect(missing.difference?.expected?.index == 2)
        // Undecoded bytes after the last message are compared too.
        var tail = expected
        tail.bytes += Array("\u{1}junk".utf8)
        #expect(
            !ReplayMessageComparison(proto: "resp", expected: expected, got: tail, ignore: ReplayIgnore())
                .matches)
        #expect(throws: ReplayIgnore.PatternError.self) { try ReplayIgnore(["("]) }
        #expect(throws: ReplayIgnore.PatternError.self) { try ReplayIgnore([""]) }
    }
}

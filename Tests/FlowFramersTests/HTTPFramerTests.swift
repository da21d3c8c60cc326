import Testing

@_spi(Fuzzing) @testable import FlowFramers

@Suite("HTTP framer: HTTP/1.x requests and responses")
struct HTTPFramerTests {
    static let chunkedKeepAlive = Transcript()
        .then(.client, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        .then(.server, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n")
        .then(.server, "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
        .then(.client, "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde")
        .then(.server, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")

    @Test("a recorded curl session on one connection: chunked, Content-Length, HEAD, POST")
    func recordedCurl() throws {
        let transcript = try Transcript.fixture("curl-keep-alive")
        let outcome = transcript.run(.http)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(
            outcome.summaries(.client) == [
                "GET /chunked HTTP/1.1", "GET /plain HTTP/1.1", "HEAD /plain HTTP/1.1", "POST /post HTTP/1.1",
            ])
        #expect(
            outcome.summaries(.server) == [
                "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 201 Created",
            ])
        #expect(outcome.pairing(.server) == ["0", "1", "2", "3"])
        #expect(outcome.messages(.server).last?.end == transcript.bytes(.server).count)
        #expect(outcome.messages(.client).last?.end == transcript.bytes(.client).count)
    }

    @Test("keep-alive: chunked with extensions and trailers, then Content-Length both ways")
    func chunkedAndLength() {
        let outcome = Self.chunkedKeepAlive.run(.http)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(outcome.summaries(.client) == ["GET /a HTTP/1.1", "POST /b HTTP/1.1"])
        #expect(outcome.summaries(.server) == ["HTTP/1.1 200 OK", "HTTP/1.1 201 Created"])
        #expect(outcome.messages(.server).map(\.byteCount) == [93, 45])
        #expect(outcome.messages(.client).map(\.byteCount) == [28, 44])
        #expect(outcome.pairing(.server) == ["0", "1"])
    }

    @Test("pipelining: HEAD's response has no body even with Content-Length, 204 and 304 neither")
    func pipelinedHead() {
        let outcome = Transcript()
            .then(
                .client,
                "HEAD /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\nGET /z HTTP/1.1\r\n\r\nDELETE /w HTTP/1.1\r\n\r\n"
            )
            .then(.server, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            .then(.server, "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n")
            .then(.server, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz")
            .then(.server, "HTTP/1.1 204 No Content\r\n\r\n")
            .run(.http)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(outcome.messages(.server).map(\.byteCount) == [41, 51, 41, 27])
        #expect(outcome.pairing(.server) == ["0", "1", "2", "3"])
    }

    @Test("100 Continue is a reply of its own; the final response answers the same request")
    func interimResponse() {
        let outcome = Transcript()
            .then(.client, "PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
            .then(.server, "HTTP/1.1 100 Continue\r\n\r\n")
            .then(.client, "abc")
            .then(
                .server,
                "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            )
            .run(.http)
        #expect(
            outcome.summaries(.server) == [
                "HTTP/1.1 100 Continue", "HTTP/1.1 103 Early Hints", "HTTP/1.1 200 OK",
            ])
        #expect(outcome.pairing(.server) == ["0", "0…", "0…"])
        #expect(outcome.messages(.client).map(\.byteCount) == [63])
    }

    @Test("a body that ends at close ends at end(server); empty lines before a request count in it")
    func untilClose() {
        var conversation = FrameConversation(.http)
        _ = conversation.feed(.client, Array("\r\nGET / HTTP/1.0\r\n\r\n".utf8))
        let head = conversation.feed(.server, Array("HTTP/1.0 200 OK\r\n\r\nsome body".utf8))
        #expect(head.messages.isEmpty)
        #expect(conversation.progress(.server).isInMessage)
        #expect(conversation.progress(.server).remaining == nil)
        _ = conversation.feed(.server, Array(" and more".utf8))
        let last = conversation.end(.server)
        #expect(
            last.messages == [
                FramedMessage(
                    side: .server, index: 0, offset: 0, byteCount: 37, summary: "HTTP/1.0 200 OK",
                    reply: ReplyPairing(request: 0, isFirst: true))
            ])
    }

    @Test("CONNECT answered 200: both sides raw from the end of their last message, bytes still counted")
    func connectSwitchesToRaw() {
        let outcome = Transcript()
            .then(.client, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
            .then(.client, [0x16, 0x03, 0x01, 0x00, 0x05])  // a TLS ClientHello sent eagerly
            .then(.server, "HTTP/1.1 200 Connection Established\r\n\r\n")
            .then(.server, [0x16, 0x03, 0x03])
            .then(.client, "GET / HTTP/1.1\r\n\r\n")
            .run(.http)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(outcome.summaries(.client) == ["CONNECT example.com:443 HTTP/1.1"])
        #expect(outcome.summaries(.server) == ["HTTP/1.1 200 Connection Established"])
        #expect(
            outcome.rawSwitches == [
                RawSwitch(side: .server, offset: 39, reason: "after CONNECT answered 200"),
                RawSwitch(side: .client, offset: 59, reason: "after CONNECT answered 200"),
            ])
        #expect(outcome.fed == [59 + 5 + 18, 42])
    }

    @Test("Upgrade answered 101: raw both ways; refused (426): the client decodes on")
    func upgrade() {
        let request = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        let accepted = Transcript()
            .then(.client, request)
            .then(.server, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{2}hi")
            .then(.client, "\u{81}\u{82}abcdxx")
            .run(.http)
        #expect(accepted.rawSwitches.map(\.side) == [.server, .client])
        #expect(accepted.messages.count == 2)
        let refused = Transcript()
            .then(.client, request)
            .then(.server, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
            .then(.client, "GET /next HTTP/1.1\r\n\r\n")
            .run(.http)
        #expect(refused.rawSwitches.isEmpty && refused.decodeErrors.isEmpty)
        #expect(refused.summaries(.client) == ["GET /chat HTTP/1.1", "GET /next HTTP/1.1"])
    }

    @Test("bad input: not HTTP, HTTP/2 preface, conflicting Content-Length, bad chunk size, a 64 KiB line")
    func decodeErrors() {
        let cases: [(Transcript, FrameDecodeError)] = [
            (
                Transcript().then(.client, "\u{16}\u{3}\u{1}hello\r\n"),
                FrameDecodeError(
                    side: .client, offset: 0, messageOffset: 0,
                    reason: "not an HTTP request line: \\x16\\x03\\x01hello")
            ),
            (
                Transcript().then(.client, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                FrameDecodeError(
                    side: .client, offset: 0, messageOffset: 0, reason: "HTTP/2.0 is not HTTP/1.x")
            ),
            (
                Transcript().then(
                    .client, "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
                FrameDecodeError(
                    side: .client, offset: 36, messageOffset: 0, reason: "invalid Content-Length: 6")
            ),
            (
                Transcript().then(.client, "GET / HTTP/1.1\r\n\r\n").then(
                    .server, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"),
                FrameDecodeError(
                    side: .server, offset: 47, messageOffset: 0, reason: "bad chunk size: fffffffffffffffff")
            ),
            (
                Transcript().then(.client, "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000)),
                FrameDecodeError(
                    side: .client, offset: 16 + 65_536, messageOffset: 0,
                    reason: "HTTP line longer than 65536 bytes")
            ),
        ]
        for (transcript, error) in cases {
            let outcome = transcript.run(.http)
            #expect(outcome.decodeErrors == [error])
        }
    }

    @Test("a Content-Length of 2^62 frames without trapping; 2^63 is a decode error")
    func hugeLengths() {
        let big = Transcript().then(
            .client, "PUT / HTTP/1.1\r\nContent-Length: 4611686018427387904\r\n\r\nabc")
        var conversation = FrameConversation(.http)
        for case .piece(let side, let bytes) in big.steps { _ = conversation.feed(side, bytes) }
        #expect(conversation.progress(.client).remaining == 4_611_686_018_427_387_901)
        let tooBig = Transcript().then(
            .client, "PUT / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n"
        ).run(.http)
        #expect(tooBig.decodeErrors.count == 1)
    }
}

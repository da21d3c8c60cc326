import Testing

@_spi(Fuzzing) @testable import FlowFramers

@Suite("RESP framer: Redis RESP2 and RESP3")
struct RESPFramerTests {
    @Test("a recorded redis-cli session (RESP2, then HELLO 3 and RESP3 maps and sets) pairs in order")
    func recordedSession() throws {
        let outcome = try Transcript.fixture("redis-cli-session").run(.resp)
        #expect(outcome.decodeErrors.isEmpty)
        let client = outcome.summaries(.client)
        let server = outcome.summaries(.server)
        #expect(client.count == 15 && server.count == 15)
        #expect(Array(client.prefix(4)) == ["COMMAND DOCS", "SET k v", "GET k", "GET missing"])
        #expect(
            Array(server.dropFirst().prefix(9)) == [
                "+OK", "$1 v", "$-1", ":1", ":3", "*3 a b c", ":1", "*2 f1 v1",
                "%7 server redis version 7.0.15 proto 3 id 4 mode standalone role master modules *0",
            ])
        #expect(server[10] == "%1 f1 v1")
        #expect(server[11] == "~0")
        #expect(server[13] == "-ERR unknown command 'FOOBAR', with args beginning with: 'x' ")
        #expect(outcome.pairing(.server) == (0..<15).map { "\($0)" })
        #expect(outcome.messages(.client).allSatisfy { $0.awaitsReply })
        // The COMMAND DOCS reply, 340 KB of nested arrays, is one message.
        #expect(outcome.messages(.server)[0].byteCount > 100_000)
        #expect(outcome.messages(.server)[0].summary.count <= SummaryText.limit)
        #expect(
            try outcome.messages(.server).last?.end
                == Transcript.fixture("redis-cli-session").bytes(.server).count)
    }

    @Test("redis-cli --pipe: pipelined arrays, an inline PING, an empty line, binary bulk")
    func recordedPipeline() throws {
        let outcome = try Transcript.fixture("redis-cli-pipe").run(.resp)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(
            outcome.summaries(.client) == [
                "SET k1 hello", "PING", "GET k1", "INCR k1", "MGET k1 k2",
                "ECHO N\\xca\\xd8\\xa5\\x02}\\x92\\xe3\\xe0\\xe9V\\xe4\\xb1\\xcb\\xc6\\x9c\\xa3\\x1b\\xca\\xe0",
            ])
        #expect(
            outcome.summaries(.server).prefix(5) == [
                "+OK", "+PONG", "$5 hello", "-ERR value is not an integer or out of range", "*2 hello (nil)",
            ])
        #expect(outcome.pairing(.server) == ["0", "1", "2", "3", "4", "5"])
        // The empty line before ECHO is counted in ECHO's message.
        let echo = outcome.messages(.client)[5]
        #expect(try echo.end == Transcript.fixture("redis-cli-pipe").bytes(.client).count)
        #expect(outcome.messages(.client)[4].end + 2 + 41 == echo.end)
    }

    @Test("SUBSCRIBE a b: one confirmation per channel answers it, published messages are unpaired")
    func recordedSubscribe() throws {
        let outcome = try Transcript.fixture("redis-cli-subscribe").run(.resp)
        #expect(
            outcome.summaries(.server) == [
                "*3 subscribe ch1 1", "*3 subscribe ch2 2", "*3 message ch1 hello", "*3 message ch2 wor ld",
            ])
        #expect(outcome.pairing(.server) == ["0", "0…", "-", "-"])
    }

    @Test("RESP3: pushes unpaired, attributes with their value, streamed strings and aggregates, all types")
    func resp3Types() {
        let outcome = Transcript()
            .then(
                .client,
                "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$3\r\nGET\r\n*1\r\n$1\r\nA\r\n*1\r\n$1\r\nB\r\n"
            )
            .then(.client, "*1\r\n$1\r\nC\r\n*1\r\n$1\r\nD\r\n*1\r\n$1\r\nE\r\n*1\r\n$1\r\nF\r\n")
            .then(.server, "%1\r\n+proto\r\n:3\r\n")
            .then(.server, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n")
            .then(
                .server, "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n"
            )
            .then(.server, "$?\r\n;4\r\nHell\r\n;6\r\no worl\r\n;1\r\nd\r\n;0\r\n")
            .then(.server, "*?\r\n:1\r\n*?\r\n#t\r\n.\r\n_\r\n.\r\n")
            .then(.server, "=15\r\ntxt:Some string\r\n")
            .then(.server, "!21\r\nSYNTAX invalid syntax\r\n")
            .then(.server, "(3492890328409238509324850943850943825024385\r\n")
            .then(.server, "~2\r\n#f\r\n,inf\r\n")
            .run(.resp)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(
            outcome.summaries(.server) == [
                "%1 proto 3", ">3 message ch hi", "|1 key-popularity %1 a 0.19 *2 2039123 9543892",
                "$? Hello world",
                "*? 1 *? t (nil)", "=15 txt:Some string", "!21 SYNTAX invalid syntax",
                "(3492890328409238509324850943850943825024385", "~2 f inf",
            ])
        #expect(outcome.pairing(.server) == ["0", "-", "1", "2", "3", "4", "5", "6", "7"])
    }

    @Test("a SUBSCRIBE in RESP3 is confirmed by pushes; the next reply answers the next command")
    func resp3Subscribe() {
        let outcome = Transcript()
            .then(.client, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n")
            .then(
                .server,
                ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
            )
            .then(.server, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n+PONG\r\n")
            .run(.resp)
        #expect(outcome.pairing(.server) == ["0", "0…", "-", "1"])
    }

    @Test("a push between the confirmations of UNSUBSCRIBE without channels is unpaired and ends nothing")
    func pushAmongConfirmations() {
        let outcome = Transcript()
            .then(.client, "*1\r\n$11\r\nUNSUBSCRIBE\r\n*1\r\n$4\r\nPING\r\n")
            .then(.server, ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n")
            .then(.server, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
            .then(.server, ">3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n+PONG\r\n")
            .run(.resp)
        #expect(outcome.pairing(.server) == ["0", "-", "0…", "1"])
    }

    @Test("UNSUBSCRIBE without channels takes the confirmations that follow it; MONITOR output is unpaired")
    func unsubscribeAllAndMonitor() {
        let outcome = Transcript()
            .then(.client, "*1\r\n$11\r\nUNSUBSCRIBE\r\n*1\r\n$4\r\nPING\r\n*1\r\n$7\r\nMONITOR\r\n")
            .then(
                .server,
                "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n"
            )
            .then(.server, "+PONG\r\n+OK\r\n+1700000000.1 [0 127.0.0.1:1] \"GET\" \"k\"\r\n")
            .run(.resp)
        #expect(outcome.pairing(.server) == ["0", "0…", "1", "2", "-"])
    }

    @Test("hostile lengths: a bulk of 2^62, an aggregate of 2^40, a negative length, a line over 64 KiB")
    func hostileLengths() {
        for (bytes, reason) in [
            ("$4611686018427387904\r\n", "RESP bulk length 4611686018427387904 not in 0…2147483648"),
            ("*1099511627776\r\n", "RESP aggregate length 1099511627776 not in 0…2147483648"),
            ("$-5\r\n", "RESP bulk length -5 not in 0…2147483648"),
            (
                "$99999999999999999999999999\r\n",
                "RESP bulk length 999999999999999999999999 not in 0…2147483648"
            ),
        ] {
            let outcome = Transcript().then(.client, "*1\r\n$4\r\nPING\r\n").then(.server, bytes).run(.resp)
            #expect(outcome.decodeErrors.map(\.reason) == [reason])
            #expect(outcome.decodeErrors.first?.offset == 0)
        }
        let long = Transcript().then(.server, "+" + String(repeating: "x", count: 70_000)).run(.resp)
        #expect(long.decodeErrors.map(\.offset) == [65_536])
    }

    @Test("garbage: one decode error, then the side is raw; the other side decodes on")
    func garbageOnce() {
        let outcome = Transcript()
            .then(.client, "*1\r\n$4\r\nPING\r\n")
            .then(.server, "+PONG\r\nHTTP/1.1 200 OK\r\n+OK\r\n")
            .then(.client, "*1\r\n$4\r\nPING\r\n")
            .then(.server, "+PONG\r\n")
            .run(.resp)
        #expect(
            outcome.decodeErrors == [
                FrameDecodeError(
                    side: .server, offset: 7, messageOffset: 7, reason: "not a RESP type byte: H")
            ])
        #expect(outcome.summaries(.server) == ["+PONG"])
        #expect(outcome.summaries(.client) == ["PING", "PING"])
        #expect(outcome.fed == [28, 36])
    }

    @Test("a message cut by the end of stream is reported truncated with what was known")
    func truncatedAtEnd() {
        var conversation = FrameConversation(.resp)
        _ = conversation.feed(.server, Array("$10\r\nhel".utf8))
        #expect(conversation.progress(.server).remaining == 9)
        #expect(conversation.progress(.server).isInMessage)
        let last = conversation.end(.server)
        #expect(
            last.messages == [
                FramedMessage(
                    side: .server, index: 0, offset: 0, byteCount: 8, summary: "$10 hel", isTruncated: true)
            ])
        #expect(conversation.progress(.server).mode == .ended)
    }

    @Test("a long bulk is summarized by its first 64 bytes; summaries stay within the bound")
    func boundedSummary() {
        let value = String(repeating: "v", count: 1000)
        let outcome = Transcript()
            .then(.client, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n\(value)\r\n")
            .then(.client, "*100\r\n" + String(repeating: "$5\r\nabcde\r\n", count: 100))
            .run(.resp)
        #expect(outcome.summaries(.client)[0] == "SET k " + String(repeating: "v", count: 64) + "…")
        #expect(outcome.summaries(.client)[1].count > SummaryText.limit - 8)
        #expect(outcome.summaries(.client)[1].count <= SummaryText.limit)
        #expect(outcome.summaries(.client)[1].hasSuffix("…"))
    }
}

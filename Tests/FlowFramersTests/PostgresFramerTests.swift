import Testing

@_spi(Fuzzing) @testable import FlowFramers

/// A typed PostgreSQL message: the type byte, a length counting itself, the body.
func pg(_ type: Character, _ body: [UInt8] = []) -> [UInt8] {
    [type.asciiValue!] + be32(body.count + 4) + body
}

/// A zero-terminated string.
func cstr(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

@Suite("PostgreSQL framer: protocol v3")
struct PostgresFramerTests {
    @Test(
        "a recorded psql session: SSLRequest refused (N), SCRAM, queries, an error, pairing to ReadyForQuery")
    func recordedSession() throws {
        let outcome = try Transcript.fixture("psql-session").run(.postgres)
        #expect(outcome.decodeErrors.isEmpty && outcome.rawSwitches.isEmpty)
        #expect(
            outcome.summaries(.client) == [
                "SSLRequest", "StartupMessage: user=postgres database=postgres application_name=psql",
                "PasswordMessage", "PasswordMessage", "Query: SELECT 1;", "Query: SELECT * FROM nosuch;",
                "Query: CREATE TEMP TABLE t(a int, b text);", "Query: INSERT INTO t VALUES (1,'x'),(2,'y');",
                "Query: SELECT * FROM t;", "Query: SELECT $1::int + 1 AS answer \\nLISTEN c;",
                "Query: NOTIFY c, 'hi';", "Terminate",
            ])
        let server = outcome.summaries(.server)
        #expect(server[0] == "SSL: refused (N)")
        #expect(server[1] == "AuthenticationSASL: SCRAM-SHA-256")
        #expect(
            server[2...4] == ["AuthenticationSASLContinue", "AuthenticationSASLFinal", "AuthenticationOk"])
        #expect(server.contains("ParameterStatus: server_encoding=UTF8"))
        let firstQuery = server.firstIndex(of: "RowDescription: 1 field")!
        #expect(
            server[firstQuery...].prefix(4) == [
                "RowDescription: 1 field", "DataRow", "CommandComplete: SELECT 1", "ReadyForQuery: idle",
            ])
        #expect(server.contains("ErrorResponse: ERROR 42P01 relation \"nosuch\" does not exist"))
        #expect(server.contains("RowDescription: 2 fields"))
        // Pairing: the SSL answer to the SSLRequest; the whole startup (authentication included)
        // to the StartupMessage up to its ReadyForQuery; each query's messages to the query.
        let pairs = outcome.pairing(.server)
        #expect(pairs[0] == "0")
        #expect(pairs[1] == "1" && pairs[2] == "1…")
        let ready = outcome.messages(.server).filter { $0.summary.hasPrefix("ReadyForQuery") }
        #expect(ready.compactMap(\.reply?.request) == [1, 4, 5, 6, 7, 8, 9, 10])
        let queries = outcome.messages(.client).filter(\.awaitsReply).map(\.index)
        #expect(queries == [0, 1, 4, 5, 6, 7, 8, 9, 10])
        #expect(outcome.messages(.server)[firstQuery].reply == ReplyPairing(request: 4, isFirst: true))
    }

    @Test("a recorded LISTEN/NOTIFY and COPY FROM STDIN: the notification is unpaired")
    func recordedCopyAndNotify() throws {
        let outcome = try Transcript.fixture("psql-copy-notify").run(.postgres)
        #expect(outcome.decodeErrors.isEmpty)
        let messages = outcome.messages(.server)
        let notification = try #require(messages.first { $0.summary.hasPrefix("NotificationResponse") })
        #expect(notification.summary == "NotificationResponse: c hi")
        #expect(notification.reply == nil)
        #expect(outcome.summaries(.client).contains("CopyData"))
        #expect(outcome.summaries(.server).contains("CopyInResponse"))
        #expect(outcome.summaries(.server).contains("CommandComplete: COPY 2"))
    }

    @Test("the extended protocol: Parse/Bind/Describe/Execute/Sync, answered up to ReadyForQuery")
    func extendedProtocol() {
        let batch =
            pg("P", cstr("") + cstr("SELECT $1::int") + [0, 0])
            + pg("B", cstr("") + cstr("") + [0, 0, 0, 0, 0, 0])
            + pg("D", [UInt8(ascii: "P")] + cstr("")) + pg("E", cstr("") + be32(0)) + pg("S")
        let answer =
            pg("1") + pg("2") + pg("T", [0, 1] + cstr("int4") + [UInt8](repeating: 0, count: 18))
            + pg("D", [0, 1] + be32(2) + Array("42".utf8)) + pg("C", cstr("SELECT 1"))
            + pg("Z", [UInt8(ascii: "T")])
        let outcome = Transcript()
            .then(.client, be32(8) + be32(80_877_104))  // GSSENCRequest
            .then(.server, "N")
            .then(.client, be32(9 + 5) + be32(196_608) + cstr("user") + [0])
            .then(.server, pg("R", be32(0)) + pg("Z", [UInt8(ascii: "I")]))
            .then(.client, batch + batch)
            .then(.server, answer + answer)
            .run(.postgres)
        #expect(outcome.decodeErrors.isEmpty)
        #expect(
            outcome.summaries(.client) == [
                "GSSENCRequest", "StartupMessage: user=", "Parse: SELECT $1::int", "Bind", "Describe",
                "Execute", "Sync",
                "Parse: SELECT $1::int", "Bind", "Describe", "Execute", "Sync",
            ])
        #expect(
            outcome.summaries(.server).suffix(6) == [
                "ParseComplete", "BindComplete", "RowDescription: 1 field", "DataRow",
                "CommandComplete: SELECT 1",
                "ReadyForQuery: in transaction",
            ])
        #expect(
            outcome.pairing(.server) == ["0", "1", "1…"] + ["6", "6…", "6…", "6…", "6…", "6…"]
                + ["11", "11…", "11…", "11…", "11…", "11…"])
    }

    @Test("SSLRequest answered S: the rest is raw both ways; direct TLS: raw from the first byte")
    func sslAccepted() {
        let outcome = Transcript()
            .then(.client, be32(8) + be32(80_877_103))
            .then(.server, "S")
            .then(.client, [0x16, 0x03, 0x01, 0x02, 0x00])
            .then(.server, [0x16, 0x03, 0x03])
            .run(.postgres)
        #expect(outcome.summaries(.server) == ["SSL: accepted (S)"])
        #expect(outcome.rawSwitches.map(\.offset) == [1, 8])
        #expect(outcome.decodeErrors.isEmpty)
        let direct = Transcript().then(.client, [0x16, 0x03, 0x01, 0x02, 0x00]).run(.postgres)
        #expect(direct.rawSwitches.map(\.side) == [.client, .server])
        #expect(direct.messages.isEmpty && direct.decodeErrors.isEmpty)
    }

    @Test("more than 16,384 outstanding requests: pairing stops, framing goes on")
    func outstandingBound() {
        let startup = be32(9 + 5) + be32(196_608) + cstr("user") + [0]
        let query = pg("Q", cstr("SELECT 1"))
        let answer = pg("C", cstr("SELECT 1")) + pg("Z", [UInt8(ascii: "I")])
        for (count, paired) in [(16_383, true), (16_384, false)] {
            let outcome = Transcript()
                .then(.client, startup + [UInt8]((0..<count).flatMap { _ in query }))
                .then(.server, answer + answer)
                .run(.postgres)
            #expect(outcome.messages(.server).count == 4)
            #expect(outcome.messages(.server).allSatisfy { ($0.reply != nil) == paired }, "\(count)")
        }
    }

    @Test("hostile lengths: below 4, over 1 GiB, a startup over 10000; a wrong answer to SSLRequest")
    func hostileLengths() {
        let startup = be32(9 + 5) + be32(196_608) + cstr("user") + [0]
        let cases: [(Transcript, String)] = [
            (
                Transcript().then(.client, startup + [UInt8(ascii: "Q")] + be32(3)),
                "message length 3 not in 4…1073741824"
            ),
            (
                Transcript().then(.client, startup).then(
                    .server, [UInt8(ascii: "D"), 0x7f, 0xff, 0xff, 0xff]),
                "message length 2147483647 not in 4…1073741824"
            ),
            (
                Transcript().then(.client, be32(10_001) + be32(196_608)),
                "startup message length 10001 not in 8…10000"
            ),
            (
                Transcript().then(.client, be32(8) + be32(1234)),
                "unknown startup code 1234 (not protocol 3.x)"
            ),
            (
                Transcript().then(.client, be32(8) + be32(80_877_103)).then(.server, "X"),
                "answer to SSLRequest is X, not S or N"
            ),
        ]
        for (transcript, reason) in cases {
            #expect(transcript.run(.postgres).decodeErrors.map(\.reason) == [reason])
        }
    }
}

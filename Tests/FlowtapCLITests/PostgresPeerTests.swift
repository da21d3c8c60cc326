import Foundation
import TestSupport
import Testing

/// Issue 13's proof with a real PostgreSQL: a server made by `initdb` for each test (as a user
/// other than root, on a Unix socket in its own folder), psql and pgbench through the real
/// `flowtap proxy --json --decode …`, and the message events, summaries and pairing flowtap
/// reports, besides the clients' own results (every byte got through).
@Suite(
    "flowtap proxy --decode in front of a real PostgreSQL", .leavesNoProcesses,
    .enabled(if: PostgresServer.binaries != nil, "PostgreSQL is not installed (see .ci/run)"))
struct PostgresPeerTests {
    /// psql's connection string to flowtap listening on `port` (TCP, so libpq sends SSLRequest
    /// first with `sslmode=prefer`; it never does on a Unix socket).
    static func connection(port: Int, sslmode: String) -> String {
        "host=127.0.0.1 port=\(port) user=\(PostgresServer.user) dbname=postgres sslmode=\(sslmode)"
    }

    @Test(
        "psql with --decode auto: SSLRequest refused with N, startup, a query's rows, an ErrorResponse, each reply paired with latency, a notification unpaired; the capture keeps them"
    )
    func psqlSimpleQueries() async throws {
        let server = try await PostgresServer()
        do {
            let capture = server.directory + "/session.pcapng"
            let flowtap = try FlowtapProcess([
                "tcp-listen:0", server.target, "--json", "--once", "--decode", "auto", "-w", capture,
            ])
            let port = try await flowtap.listeningPort()
            let binaries = try #require(PostgresServer.binaries)
            let psql = try await runCommand(
                binaries.psql,
                [
                    "-X", "-A", "-t", Self.connection(port: port, sslmode: "prefer"), "-c", "select 1", "-c",
                    "select 1/0", "-c", "select 'a' union all select 'b'", "-c", "listen ch", "-c",
                    "notify ch, 'hello'",
                ])
            // psql's own results: every byte got through both ways.
            #expect(psql.status == 0, "\(psql)")
            #expect(
                psql.out.hasPrefix(
                    "1\na\nb\nLISTEN\nNOTIFY\nAsynchronous notification \"ch\" with payload \"hello\""),
                "\(psql.out)")
            #expect(psql.err.contains("ERROR:  division by zero"), "\(psql.err)")
            #expect(try await flowtap.waitExit() == 0)
            let events = flowtap.events
            let log = MessageLog(events, conn: 1)
            #expect(log.decoder == "postgres")
            let bytes = try MessageLog.closeBytes(events, conn: 1)
            log.checkInvariants(proto: "postgres", c2sBytes: bytes.c2s, s2cBytes: bytes.s2c)
            // The message is the chunk: no data event holds a message end but at its own end.
            checkMessagesFollowData(events, conn: 1)
            for dir in ["c2s", "s2c"] { checkCutAtMessages(events, conn: 1, dir) }

            let c2s = log.summaries("c2s")
            #expect(c2s.count == 8, "\(log.c2s)")
            #expect(c2s.first == "SSLRequest")
            #expect(
                c2s.dropFirst().first?.hasPrefix("StartupMessage: user=postgres database=postgres") == true,
                "\(c2s)")
            #expect(
                Array(c2s.dropFirst(2))
                    == [
                        "Query: select 1", "Query: select 1/0", "Query: select 'a' union all select 'b'",
                        "Query: listen ch", "Query: notify ch, 'hello'", "Terminate",
                    ])

            // The server's side, ParameterStatus messages aside (their number and values depend
            // on the server's version), each with the request it answers.
            let replies = log.pairs("s2c").filter { !$0.reply.hasPrefix("ParameterStatus: ") }
            let expected: [(String, String?)] = [
                ("SSL: refused (N)", "SSLRequest"),
                ("AuthenticationOk", c2s.dropFirst().first),
                ("BackendKeyData", c2s.dropFirst().first),
                ("ReadyForQuery: idle", c2s.dropFirst().first),
                ("RowDescription: 1 field", "Query: select 1"),
                ("DataRow", "Query: select 1"),
                ("CommandComplete: SELECT 1", "Query: select 1"),
                ("ReadyForQuery: idle", "Query: select 1"),
                ("ErrorResponse: ERROR 22012 division by zero", "Query: select 1/0"),
                ("ReadyForQuery: idle", "Query: select 1/0"),
                ("RowDescription: 1 field", "Query: select 'a' union all select 'b'"),
                ("DataRow", "Query: select 'a' union all select 'b'"),
                ("DataRow", "Query: select 'a' union all select 'b'"),
                ("CommandComplete: SELECT 2", "Query: select 'a' union all select 'b'"),
                ("ReadyForQuery: idle", "Query: select 'a' union all select 'b'"),
                ("CommandComplete: LISTEN", "Query: listen ch"),
                ("ReadyForQuery: idle", "Query: listen ch"),
                // The session's own notification: unpaired, amid the NOTIFY's answer.
                ("CommandComplete: NOTIFY", "Query: notify ch, 'hello'"),
                ("NotificationResponse: ch hello", nil),
                ("ReadyForQuery: idle", "Query: notify ch, 'hello'"),
            ]
            #expect(
                replies.map { "\($0.reply) → \($0.request ?? "-")" }
                    == expected.map { "\($0.0) → \($0.1 ?? "-")" })
            // Nothing the client sent is a reply, and every request got its first reply with a
            // latency (checked per request in checkInvariants; here that they are there at all).
            #expect(log.c2s.allSatisfy { $0.request == nil }, "\(log.c2s)")
            #expect(try log.first("s2c", "RowDescription: 1 field").latency != nil)
            #expect(try log.first("s2c", "ErrorResponse: ERROR 22012 division by zero").latency != nil)
            #expect(try log.first("s2c", "SSL: refused (N)").latency != nil)
            #expect(named(events, "decode_error").isEmpty, "\(named(events, "decode_error"))")
            // The capture keeps the message events: view gives them back.
            try await MessageLog.checkCapture(capture, matches: events)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test(
        "psql over a Unix socket with --decode postgres: StartupMessage first (no SSLRequest); COPY FROM STDIN's CopyData and CopyDone inside the query's exchange"
    )
    func psqlUnixSocket() async throws {
        let server = try await PostgresServer()
        do {
            let folder = try Unprivileged.makeDirectory(prefix: "flowtap-pgc")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // psql finds a server at FOLDER/.s.PGSQL.PORT.
            let flowtap = try FlowtapProcess([
                "unix-listen:\(folder)/.s.PGSQL.\(PostgresServer.port)", server.target, "--json", "--once",
                "--decode", "postgres",
            ])
            try await flowtap.waitForLine { $0.contains("\"listening\"") }
            let binaries = try #require(PostgresServer.binaries)
            // psql's \copy reads the file and sends its rows as CopyData (one message for these
            // few bytes).
            let rows = folder + "/rows.txt"
            try "20\n22\n".write(toFile: rows, atomically: false, encoding: .utf8)
            let psql = try await runCommand(
                binaries.psql,
                [
                    "-X", "-A", "-t", "-h", folder, "-p", "\(PostgresServer.port)", "-U", PostgresServer.user,
                    "-d", "postgres", "-c", "create temp table t (x int)", "-c", "\\copy t from '\(rows)'",
                    "-c",
                    "select sum(x) from t",
                ])
            #expect(psql.status == 0, "\(psql)")
            #expect(psql.out == "CREATE TABLE\nCOPY 2\n42\n")
            #expect(try await flowtap.waitExit() == 0)
            let events = flowtap.events
            let log = MessageLog(events, conn: 1)
            #expect(log.decoder == "postgres")
            let bytes = try MessageLog.closeBytes(events, conn: 1)
            log.checkInvariants(proto: "postgres", c2sBytes: bytes.c2s, s2cBytes: bytes.s2c)
            // The message is the chunk: no data event holds a message end but at its own end.
            checkMessagesFollowData(events, conn: 1)
            for dir in ["c2s", "s2c"] { checkCutAtMessages(events, conn: 1, dir) }
            let c2s = log.summaries("c2s")
            #expect(c2s.first?.hasPrefix("StartupMessage: user=postgres database=postgres") == true, "\(c2s)")
            #expect(
                Array(c2s.dropFirst()) == [
                    "Query: create temp table t (x int)", "Query: COPY  t FROM STDIN ", "CopyData",
                    "CopyDone", "Query: select sum(x) from t", "Terminate",
                ])
            // The client's CopyData and CopyDone are no requests: the server's CopyInResponse and
            // the COPY's end answer the COPY query.
            let copy = try log.first("c2s", "Query: COPY  t FROM STDIN ")
            #expect(
                log.s2c.filter { $0.request == copy.index }.map(\.summary) == [
                    "CopyInResponse", "CommandComplete: COPY 2", "ReadyForQuery: idle",
                ])
            let query = try log.first("c2s", "Query: select sum(x) from t")
            #expect(
                log.s2c.filter { $0.request == query.index }.map(\.summary) == [
                    "RowDescription: 1 field", "DataRow", "CommandComplete: SELECT 1", "ReadyForQuery: idle",
                ])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("headless text: one line per message, replies with their request and latency")
    func headlessText() async throws {
        let server = try await PostgresServer()
        do {
            let folder = try Unprivileged.makeDirectory(prefix: "flowtap-pgc")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let flowtap = try FlowtapProcess([
                "unix-listen:\(folder)/.s.PGSQL.\(PostgresServer.port)", server.target, "--headless",
                "--once",
                "--decode", "auto",
            ])
            let binaries = try #require(PostgresServer.binaries)
            try await flowtap.waitForLine { $0.contains("listening on ") }
            let psql = try await runCommand(
                binaries.psql,
                [
                    "-X", "-A", "-t", "-h", folder, "-p", "\(PostgresServer.port)", "-U", PostgresServer.user,
                    "-d",
                    "postgres", "-c", "select 1",
                ])
            #expect(psql.status == 0, "\(psql)")
            #expect(psql.out == "1\n")
            #expect(try await flowtap.waitExit() == 0)
            let lines = flowtap.output
            #expect(lines.contains { $0.hasSuffix(" #1 decoded as postgres") }, "\(lines)")
            let query = try #require(
                lines.lazy.compactMap {
                    try? Regex(#"#1 c2s postgres #([0-9]+) Query: select 1 \(14 B\)$"#).firstMatch(in: $0)
                }
                .first, "\(lines)")
            let index = try #require(query.output[1].substring)
            #expect(
                lines.contains {
                    (try? Regex(
                        #"#1 s2c postgres #[0-9]+ RowDescription: 1 field \([0-9]+ B, reply to #\#(index), [0-9]+\.[0-9]{3} ms\)$"#
                    )
                    .firstMatch(in: $0)) != nil
                }, "\(lines)")
            #expect(
                lines.contains { $0.hasSuffix(" ReadyForQuery: idle (6 B, reply to #\(index))") }, "\(lines)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test(
        "pgbench -M extended: Parse/Bind/Describe/Execute/Sync, and the replies up to ReadyForQuery pair with the Sync",
        .enabled(if: PostgresServer.binaries?.pgbench != nil, "pgbench is not installed")
    )
    func extendedProtocol() async throws {
        let server = try await PostgresServer()
        do {
            // Not --once: pgbench opens a first session, ends it, then opens the one that runs
            // the script.
            let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--decode", "auto"])
            let port = try await flowtap.listeningPort()
            let script = server.directory + "/extended.sql"
            try "\\set x 7\nselect :x + 1 as eight;\n".write(
                toFile: script, atomically: false, encoding: .utf8)
            let pgbench = try #require(PostgresServer.binaries?.pgbench)
            let run = try await runCommand(
                pgbench,
                [
                    "-h", "127.0.0.1", "-p", "\(port)", "-U", PostgresServer.user, "-n", "-M", "extended",
                    "-t",
                    "1", "-f", script, "postgres",
                ])
            #expect(run.status == 0, "\(run)")
            #expect(run.out.contains("number of transactions actually processed: 1/1"), "\(run.out)")
            try await flowtap.waitForEvents { events in
                !named(events, "open").isEmpty && named(events, "close").count == named(events, "open").count
            }
            flowtap.signal(SIGTERM)
            #expect(try await flowtap.waitExit() == 0)
            let events = flowtap.events
            var scriptLog: MessageLog?
            for open in named(events, "open") {
                let conn = try #require(open["conn"] as? Int)
                let log = MessageLog(events, conn: conn)
                #expect(log.decoder == "postgres", "session \(conn)")
                let bytes = try MessageLog.closeBytes(events, conn: conn)
                log.checkInvariants(proto: "postgres", c2sBytes: bytes.c2s, s2cBytes: bytes.s2c)
                // The message is the chunk: no data event holds a message end but at its own end.
                checkMessagesFollowData(events, conn: conn)
                for dir in ["c2s", "s2c"] { checkCutAtMessages(events, conn: conn, dir) }
                if log.c2s.contains(where: { $0.summary.hasPrefix("Parse") }) { scriptLog = log }
            }
            let log = try #require(scriptLog, "no session with a Parse message")
            // pgbench binds :x as $1 and sends the batch in one go, ended by Sync.
            let c2s = log.summaries("c2s")
            let parse = try #require(c2s.firstIndex(of: "Parse: select $1 + 1 as eight;"), "\(c2s)")
            #expect(
                Array(c2s[parse...].prefix(5)) == [
                    "Parse: select $1 + 1 as eight;", "Bind", "Describe", "Execute", "Sync",
                ])
            let sync = log.c2s[parse + 4]
            let answers = log.s2c.filter { $0.request == sync.index }
            #expect(
                answers.map(\.summary) == [
                    "ParseComplete", "BindComplete", "RowDescription: 1 field", "DataRow",
                    "CommandComplete: SELECT 1",
                    "ReadyForQuery: idle",
                ])
            #expect(answers.first?.latency != nil)
            // No reply pairs with the Parse, Bind, Describe or Execute themselves.
            for message in log.c2s[parse..<parse + 4] {
                #expect(!log.s2c.contains { $0.request == message.index }, "\(message)")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

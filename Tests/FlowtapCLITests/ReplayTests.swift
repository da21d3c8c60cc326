import FlowCapture
import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// A throwaway redis-server, no persistence, listening on a Unix socket of its own only
/// (`--port 0 --unixsocket PATH`): no TCP port is picked at all. It is ready once it answers
/// PING with PONG on that socket (a bare connect could reach something else).
final class RedisServer: Sendable {
    let child: ChildProcess
    /// The server's socket.
    let path: String
    private static let counter = Atomic<Int>(0)

    init(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        path = "/tmp/flowtap-redis-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue).sock"
        unlink(path)
        child = try ChildProcess(
            "/usr/bin/redis-server",
            [
                "--port", "0", "--unixsocket", path, "--unixsocketperm", "700", "--save", "", "--appendonly",
                "no",
            ])
        // Generous: at the start of a parallel run, on two cores, the whole suite starts at once.
        let deadline = ContinuousClock.now + .seconds(30)
        var lastError = "never tried"
        var attempts = 0
        // The deadline is checked after each attempt, so a starved task still gets its last try.
        while true {
            if let status = child.exitStatus {
                Issue.record(
                    "redis-server exited with \(status): \(child.standardOutput) \(child.standardError)",
                    sourceLocation: sourceLocation)
                throw CancellationError()
            }
            attempts += 1
            do {
                if try await Self.ping(path) { return }
                lastError = "no PONG"
            } catch {
                lastError = "\(error)"  // not listening yet: try again
            }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        child.stop()
        Issue.record(
            """
            redis-server did not answer PING on \(path) in \(attempts) attempts: \(lastError)
            its output: \(child.standardOutput.suffix(2000)) \(child.standardError.suffix(2000))
            """, sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// Sends PING on `path` and tells whether the answer was PONG (waiting at most 2 s for it).
    private static func ping(_ path: String) async throws -> Bool {
        let flow = try await Connector.connect(.unix(path: path))
        try await flow.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
        let answer = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var answer: [UInt8] = []
                while answer.count < 7, case .data(let chunk) = try await flow.read() {
                    answer += chunk.readableBytesView
                }
                return answer
            }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        await flow.close(waitingAtMost: .seconds(1))
        return answer == Array("+PONG\r\n".utf8)
    }

    /// The address flowtap connects to.
    var target: String { "unix:\(path)" }

    /// Kills it (SIGKILL) and removes its socket.
    func stop() {
        child.stop()
        unlink(path)
    }

    deinit { stop() }
}

@Suite("flowtap replay: against live servers and as a stub server", .serialized, .leavesNoProcesses)
struct ReplayTests {
    static let commands = [
        "*1\r\n$4\r\nPING\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    ]
    static let answers = "+PONG\r\n+OK\r\n$1\r\nv\r\n"

    /// Records PING / SET k v / GET k through `flowtap -w` against a fresh redis-server, each
    /// command sent once the previous answer came, then FIN; returns the capture's path.
    static func recordRedisSession() async throws -> String {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let file = CaptureTests.tempFile("redis.pcapng")
        let flowtap = try FlowtapProcess(["tcp-listen:0", redis.target, "--json", "--once", "-w", file])
        let port = try await flowtap.listeningPort()
        let client = try await connect(port)
        var back: [UInt8] = []
        for (command, expected) in zip(commands, [7, 12, 19]) {
            try await client.write(ByteBuffer(string: command))
            while back.count < expected, case .data(let chunk) = try await client.read() {
                back += chunk.readableBytesView
            }
        }
        await client.shutdownWrite()
        back += await drain(client).bytes
        await client.close(waitingAtMost: .seconds(2))
        #expect(String(decoding: back, as: UTF8.self) == answers)
        #expect(try await flowtap.waitExit() == 0)
        return file
    }

    @Test(
        "a captured redis session replayed against a fresh redis-server: answers match, exit 0, -w keeps it"
    )
    func redisMatches() async throws {
        let file = try await Self.recordRedisSession()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let redis = try await RedisServer()
        defer { redis.stop() }
        let again = CaptureTests.tempFile("again.pcapng")
        defer { try? FileManager.default.removeItem(atPath: again) }
        let text = try await runCommand(
            FlowtapProcess.binary, ["replay", file, redis.target, "-w", again], timeout: 30)
        let sent = Self.commands.joined().utf8.count
        #expect(text.status == 0, "\(text.out)\n\(text.err)")
        #expect(
            text.out.hasSuffix(
                "replay: \(sent) bytes sent, 19 received, answers match (resp: 3 messages compared)\n"),
            "\(text.out)")

        // The new capture holds the replayed session: the same chunks, the same answers.
        let session = try #require(try CaptureReader.read(path: again).first)
        var chunks: [String] = []
        var answers = ""
        for event in session.events {
            if case .data(let d, _, let bytes) = event.kind {
                if d == .c2s {
                    chunks.append(String(buffer: bytes))
                } else {
                    answers += String(buffer: bytes)
                }
            }
        }
        #expect(chunks == Self.commands)
        #expect(answers == Self.answers)
        #expect(session.events.contains { $0.kind == .shutdown(.c2s) })

        for timing in ["fast", "original"] {
            let json = try await runCommand(
                FlowtapProcess.binary, ["replay", file, redis.target, "--json", "--timing", timing],
                timeout: 30)
            #expect(json.status == 0, "\(timing): \(json.out)\n\(json.err)")
            let result = try #require(
                json.out.split(separator: "\n").last.map { line in
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                } ?? nil)
            #expect(result["event"] as? String == "replay_result")
            #expect(result["match"] as? Bool == true)
            #expect(result["timing"] as? String == timing)
            #expect(result["sent_bytes"] as? Int == sent)
            #expect(result["received_bytes"] as? Int == 19)
            #expect(json.out.contains("\"event\":\"open\""))
        }
    }

    @Test("replayed against a server that answers -ERR nope: exit 1 and the first difference as a hex diff")
    func differingServer() async throws {
        let file = try await Self.recordRedisSession()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let nope = try await LoopbackServer { connection in
            while case .data = (try? await connection.read()) ?? .eof {
                do { try await connection.write(ByteBuffer(string: "-ERR nope\r\n")) } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        defer { Task { await nope.close() } }
        // --decode none: bytes, as before.
        let text = try await runCommand(
            FlowtapProcess.binary, ["replay", file, nope.target, "--decode", "none"], timeout: 30)
        #expect(text.status == 1, "\(text.out)\n\(text.err)")
        let lines = text.out.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex { $0.hasPrefix("replay: ") }, "\(text.out)")
        #expect(
            lines[at]
                == "replay: \(Self.commands.joined().utf8.count) bytes sent, 33 received, answers differ")
        #expect(lines[at + 1] == "first difference at byte 0 (expected 19 bytes, got 33):")
        #expect(
            lines[at + 2] == "- 00000000  2b 50 4f 4e 47 0d 0a 2b 4f 4b 0d 0a 24 31 0d 0a  |+PONG..+OK..$1..|"
        )
        #expect(
            lines[at + 3] == "+ 00000000  2d 45 52 52 20 6e 6f 70 65 0d 0a 2d 45 52 52 20  |-ERR nope..-ERR |"
        )
        #expect(lines[at + 4] == String(repeating: " ", count: 12) + "^^")
        #expect(text.err.contains("answers differ"))

        let json = try await runCommand(
            FlowtapProcess.binary, ["replay", file, nope.target, "--json", "--decode", "none"], timeout: 30)
        #expect(json.status == 1)
        let last = try #require(json.out.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(result["match"] as? Bool == false)
        #expect(result["first_difference"] as? Int == 0)
        #expect(result["expected_bytes"] as? Int == 19)
        #expect(result["received_bytes"] as? Int == 33)
        #expect(result["expected_hex"] as? String == "2b504f4e470d0a2b4f4b0d0a24310d0a")
        #expect(result["got_hex"] as? String == "2d455252206e6f70650d0a2d45525220")
        #expect(result["decode"] as? String == "none")

        // By default (auto: RESP), the first differing message by index and summary.
        let messages = try await runCommand(
            FlowtapProcess.binary, ["replay", file, nope.target], timeout: 30)
        #expect(messages.status == 1, "\(messages.out)\n\(messages.err)")
        let out = messages.out.split(separator: "\n").map(String.init)
        let first = try #require(out.firstIndex { $0.hasPrefix("replay: ") }, "\(messages.out)")
        #expect(
            out[first].hasSuffix(", 33 received, answers differ (resp: 3 messages compared)"), "\(out[first])"
        )
        #expect(
            out[first + 1]
                == "first difference at message #0: expected \"+PONG\" (7 B), got \"-ERR nope\" (11 B)")
        #expect(out[first + 2].hasPrefix("- 00000000  2b 50 4f 4e 47 0d 0a (end)"), "\(out[first + 2])")
    }

    @Test("a missing session exits 2 listing the sessions; a foreign file exits 1 with the reader's error")
    func badInputs() async throws {
        let file = try await Self.recordRedisSession()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let missing = try await runCommand(
            FlowtapProcess.binary, ["replay", file, "tcp:127.0.0.1:9", "--session", "7"])
        #expect(missing.status == 2)
        #expect(missing.err == "flowtap: no session 7 in \(file) (sessions: 1)\n")
        let junk = CaptureTests.tempFile("junk.pcapng")
        try Data("not a capture at all".utf8).write(to: URL(fileURLWithPath: junk))
        defer { try? FileManager.default.removeItem(atPath: junk) }
        let foreign = try await runCommand(FlowtapProcess.binary, ["replay", junk, "tcp:127.0.0.1:9"])
        #expect(foreign.status == 1)
        #expect(foreign.err == "flowtap: \(junk): neither pcapng nor pcap\n")
        let listen = try await runCommand(FlowtapProcess.binary, ["replay", file, "tcp-listen:0"])
        #expect(listen.status == 2)
        #expect(listen.err.contains("TARGET must be a connect address"))
        let timing = try await runCommand(
            FlowtapProcess.binary, ["replay", file, "tcp:127.0.0.1:9", "--timing", "slow"])
        #expect(timing.status == 2)
        #expect(timing.err.contains("--timing"))
    }

    @Test("--as-server serves a captured HTTP exchange to curl: the same body")
    func asServerServesCurl() async throws {
        let body = "hello from the recording\n"
        let web = try await LoopbackServer { connection in
            var request = ""
            while !request.contains("\r\n\r\n"),
                case .data(let chunk) = (try? await connection.read()) ?? .eof
            {
                request += String(buffer: chunk)
            }
            try? await connection.write(
                ByteBuffer(
                    string:
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n"
                        + "Connection: close\r\n\r\n\(body)"))
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let file = CaptureTests.tempFile("http.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let proxy = try FlowtapProcess(["tcp-listen:0", web.target, "--json", "--once", "-w", file])
        let proxyPort = try await proxy.listeningPort()
        let original = try await runCommand(
            "/usr/bin/curl", ["-s", "http://127.0.0.1:\(proxyPort)/index.html"])
        #expect(original.out == body)
        #expect(try await proxy.waitExit() == 0)
        await web.close()

        let stub = try FlowtapProcess(["replay", file, "tcp-listen:0", "--as-server", "--once", "--json"])
        let port = try await stub.listeningPort()
        let started = Date()
        let curl = try await runCommand("/usr/bin/curl", ["-s", "-i", "http://127.0.0.1:\(port)/index.html"])
        #expect(curl.status == 0)
        #expect(curl.out.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(curl.out.hasSuffix("\r\n\r\n" + body))
        #expect(Date().timeIntervalSince(started) < 4, "the stub answered only after a timeout")
        #expect(try await stub.waitExit() == 0)
        let result = try #require(named(stub.events, "replay_result").first)
        #expect(result["role"] as? String == "server")
        #expect(result["sent_bytes"] as? Int == curl.out.utf8.count)
        #expect(sequence(stub.events, conn: 1).contains("shutdown s2c"))
    }

    @Test("wait-reply gives up after --reply-timeout per step against a silent server, and says so")
    func replyTimeouts() async throws {
        let file = try await Self.recordRedisSession()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let silent = try await LoopbackServer { connection in
            _ = await drain(connection)
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        defer { Task { await silent.close() } }
        let started = Date()
        let json = try await runCommand(
            FlowtapProcess.binary, ["replay", file, silent.target, "--json", "--reply-timeout", "0.3"],
            timeout: 30)
        let elapsed = Date().timeIntervalSince(started)
        #expect(json.status == 1)
        let last = try #require(json.out.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        // The SET, the GET and the FIN each waited for an answer that never came.
        #expect(result["reply_timeouts"] as? Int == 3, "\(last)")
        #expect(result["received_bytes"] as? Int == 0)
        #expect(result["first_difference"] as? Int == 0)
        // Compared by messages (RESP): the first captured reply has no counterpart.
        #expect(result["message_index"] as? Int == 0)
        #expect(result["expected_summary"] as? String == "+PONG")
        #expect(result["got_summary"] is NSNull)
        #expect(elapsed >= 0.9 && elapsed < 10, "\(elapsed) s")
    }

    @Test("--timing original keeps the captured gaps between chunks")
    func originalTiming() async throws {
        let echo = try await LoopbackServer.echo()
        defer { Task { await echo.close() } }
        let file = CaptureTests.tempFile("gaps.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let proxy = try FlowtapProcess(["tcp-listen:0", echo.target, "--json", "--once", "-w", file])
        let client = try await connect(try await proxy.listeningPort())
        for word in ["one", "two", "three"] {
            try await client.write(ByteBuffer(string: word))
            _ = try await client.read()
            try await Task.sleep(for: .milliseconds(400))
        }
        await client.shutdownWrite()
        _ = await drain(client)
        await client.close(waitingAtMost: .seconds(2))
        #expect(try await proxy.waitExit() == 0)

        let replay = try await runCommand(
            FlowtapProcess.binary, ["replay", file, echo.target, "--json", "--timing", "original"],
            timeout: 30)
        #expect(replay.status == 0, "\(replay.out)\n\(replay.err)")
        let events = replay.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let times = named(events, "data").filter { $0["dir"] as? String == "c2s" }.compactMap {
            $0["t"] as? Double
        }
        #expect(times.count == 3)
        for (a, b) in zip(times, times.dropFirst()) {
            #expect(b - a >= 0.35 && b - a < 2, "gap \(b - a) s")
        }
    }
}

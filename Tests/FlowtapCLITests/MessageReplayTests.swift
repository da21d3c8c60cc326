import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// `view --decode` and `replay`'s message comparison (issue 13, points 3 and 8), against real
/// redis-server and redis-cli.
@Suite(
    "flowtap view --decode and replay by messages: redis-server, edited and foreign captures",
    .serialized, .leavesNoProcesses,
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"))
)
struct MessageReplayTests {
    static let cli = "/usr/bin/redis-cli"

    /// Runs `commands` (one a line) through redis-cli, one session through `flowtap -w`
    /// (today's engine, no `--decode`), against a fresh redis-server; returns the capture.
    static func recordRedisCLI(_ commands: [String]) async throws -> String {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let file = CaptureTests.tempFile("cli.pcapng")
        let socket = CaptureTests.tempFile("front.sock")
        defer { unlink(socket) }
        let flowtap = try FlowtapProcess([
            "unix-listen:\(socket)", redis.target, "--json", "--once", "-w", file,
        ])
        try await flowtap.waitForEvents { !named($0, "listening").isEmpty }
        let input = CaptureTests.tempFile("commands.txt")
        try Data(commands.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let run = try await ChildProcess.run(
            cli, ["-s", socket], input: .file(input), timeout: .seconds(30))
        #expect(run.status == 0, "\(run.out) \(run.err)")
        #expect(try await flowtap.waitExit() == 0)
        return file
    }

    /// The JSON objects of `out`, one a line.
    static func objects(_ out: String) -> [[String: Any]] {
        out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    @Test("view --decode resp --json: redis-cli's commands paired with their replies, with latency")
    func viewDecodesRedis() async throws {
        let file = try await Self.recordRedisCLI(["PING", "SET k hello", "GET k", "TIME"])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--decode", "resp", "--json"])
        #expect(view.status == 0, "\(view.err)")
        let events = Self.objects(view.out)
        #expect(named(events, "decoder").map { $0["proto"] as? String } == ["resp"])
        let messages = named(events, "message")
        let requests = messages.filter { $0["dir"] as? String == "c2s" }
        let replies = messages.filter { $0["dir"] as? String == "s2c" }
        // redis-cli asks for COMMAND DOCS first (its hints), then sends the lines of stdin.
        #expect(
            requests.map { $0["summary"] as? String } == [
                "COMMAND DOCS", "PING", "SET k hello", "GET k", "TIME",
            ])
        #expect(
            replies.dropFirst().prefix(3).map { $0["summary"] as? String } == ["+PONG", "+OK", "$5 hello"])
        #expect(replies.count == 5)
        for (i, reply) in replies.enumerated() {
            #expect(reply["request"] as? Int == i)
            #expect(reply["proto"] as? String == "resp")
            let latency = try #require(reply["latency_ms"] as? Double, "\(reply)")
            #expect(latency >= 0)
        }
        // Each message comes after the data that completes it, and the decoder before the first.
        var delivered = ["c2s": 0, "s2c": 0]
        var sawDecoder = false
        for event in events {
            switch event["event"] as? String {
            case "data": delivered[event["dir"] as! String]! += event["bytes"] as! Int
            case "decoder": sawDecoder = true
            case "message":
                #expect(sawDecoder)
                let end = (event["offset"] as! Int) + (event["bytes"] as! Int)
                #expect(end <= delivered[event["dir"] as! String]!, "\(event)")
            default: break
            }
        }
        // Text prints one line a message, with its latency.
        let text = try await runCommand(
            FlowtapProcess.binary, ["view", file, "--decode", "resp", "--headless"])
        #expect(text.out.contains("s2c resp #2 +OK (5 B, reply to #2, "), "\(text.out)")
        // none: no message at all.
        let none = try await runCommand(FlowtapProcess.binary, ["view", file, "--decode", "none", "--json"])
        #expect(named(Self.objects(none.out), "message").isEmpty)
        #expect(named(Self.objects(none.out), "data").count == named(events, "data").count)
    }

    @Test("replay by messages: TIME differs on every run; --ignore '^TIME' makes the rest the same")
    func replayIgnoresVaryingReply() async throws {
        let file = try await Self.recordRedisCLI(["PING", "SET k hello", "TIME", "GET k"])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let redis = try await RedisServer()
        defer { redis.stop() }
        // redis-cli's COMMAND DOCS (message #0) is answered in another order by each server
        // process: skipped by its request's summary. TIME (message #3) differs on every run.
        let differs = try await runCommand(
            FlowtapProcess.binary, ["replay", file, redis.target, "--ignore", "^COMMAND DOCS$"], timeout: 30)
        #expect(differs.status == 1, "\(differs.out)\n\(differs.err)")
        let lines = differs.out.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex { $0.hasPrefix("replay: ") }, "\(differs.out)")
        #expect(lines[at].hasSuffix("answers differ (resp: 4 messages compared, 1 ignored)"), "\(lines[at])")
        #expect(lines[at + 1].hasPrefix("first difference at message #3: expected \"*2 "), "\(lines[at + 1])")

        let same = try await runCommand(
            FlowtapProcess.binary,
            ["replay", file, redis.target, "--ignore", "^COMMAND DOCS$", "--ignore", "^TIME", "--json"],
            timeout: 30)
        #expect(same.status == 0, "\(same.out)\n\(same.err)")
        let result = try #require(Self.objects(same.out).last)
        #expect(result["event"] as? String == "replay_result")
        #expect(result["match"] as? Bool == true)
        #expect(result["decode"] as? String == "resp")
        #expect(result["messages_expected"] as? Int == 5)
        #expect(result["ignored_expected"] as? Int == 2)
        #expect(result["ignored_received"] as? Int == 2)
        // wait-reply counts messages: TIME's answer, a byte longer or shorter, is no timeout.
        #expect(result["reply_timeouts"] as? Int == 0)
        // The replayed session's own messages are in the events too.
        #expect(named(Self.objects(same.out), "message").count == 10)

        let json = try await runCommand(
            FlowtapProcess.binary, ["replay", file, redis.target, "--json", "--ignore", "^COMMAND DOCS$"],
            timeout: 30)
        let failed = try #require(Self.objects(json.out).last)
        #expect(failed["match"] as? Bool == false)
        #expect(failed["message_index"] as? Int == 3)
        #expect((failed["expected_summary"] as? String)?.hasPrefix("*2 ") == true)

        // Bytes, as before: --ignore does not apply, the bytes differ.
        let bytes = try await runCommand(
            FlowtapProcess.binary, ["replay", file, redis.target, "--decode", "none", "--ignore", "^TIME"],
            timeout: 30)
        #expect(bytes.status == 1)
        #expect(bytes.out.contains("first difference at byte "), "\(bytes.out)")
    }

    @Test(
        "wait-reply counts messages when comparing them: an answer shorter than captured is no reply timeout")
    func waitReplyCountsMessages() async throws {
        let file = CaptureTests.tempFile("short.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let writer = try CaptureWriter(path: file)
        let time = "*1\r\n$4\r\nTIME\r\n"
        let ping = "*1\r\n$4\r\nPING\r\n"
        try writer.write([
            SessionEvent(
                conn: 1,
                .open(
                    client: .ip(host: "127.0.0.1", port: 50000), target: .ip(host: "127.0.0.1", port: 6379)),
                time: 1_000),
            SessionEvent(conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: time)), time: 2_000),
            SessionEvent(
                conn: 1, .data(.s2c, offset: 0, bytes: ByteBuffer(string: "$3\r\nabc\r\n")), time: 3_000),
            SessionEvent(conn: 1, .data(.c2s, offset: 14, bytes: ByteBuffer(string: ping)), time: 4_000),
            SessionEvent(
                conn: 1, .data(.s2c, offset: 9, bytes: ByteBuffer(string: "+PONG\r\n")), time: 5_000),
        ])
        try writer.close()
        // Answers TIME with a shorter value than captured, PING as captured.
        let server = try await LoopbackServer { connection in
            var pending = ""
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                pending += String(buffer: chunk)
                for (command, answer) in [(time, "$1\r\na\r\n"), (ping, "+PONG\r\n")]
                where pending.hasPrefix(command) {
                    pending.removeFirst(command.count)
                    try? await connection.write(ByteBuffer(string: answer))
                }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        defer { Task { await server.close() } }
        let messages = try await runCommand(
            FlowtapProcess.binary,
            ["replay", file, server.target, "--json", "--ignore", "^TIME", "--reply-timeout", "3"],
            timeout: 30)
        #expect(messages.status == 0, "\(messages.out)\n\(messages.err)")
        let result = try #require(Self.objects(messages.out).last)
        #expect(result["match"] as? Bool == true)
        #expect(result["reply_timeouts"] as? Int == 0, "\(result)")
        // Counting bytes, PING waited for the 9 bytes the captured server had sent, in vain.
        let bytes = try await runCommand(
            FlowtapProcess.binary,
            ["replay", file, server.target, "--json", "--decode", "none", "--reply-timeout", "1"], timeout: 30
        )
        let byBytes = try #require(Self.objects(bytes.out).last)
        #expect(byBytes["reply_timeouts"] as? Int == 1, "\(byBytes)")
    }

    @Test(
        "a session whose server reply was edited in the proxy replays as the same: the capture keeps the original"
    )
    func editedCaptureReplaysSame() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let file = CaptureTests.tempFile("edited.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", redis.target, "--json", "--pause", "--once", "-w", file], input: .pipe)
        let client = try await connect(try await flowtap.listeningPort())
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        try await client.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
        try await flowtap.child.writeInput(#"{"cmd":"step","conn":1,"dir":"c2s"}"# + "\n")
        try await flowtap.child.writeInput(
            #"{"cmd":"replace","conn":1,"dir":"s2c","text":"+PANG\r\n"}"# + "\n")
        try await flowtap.waitForEvents { !named($0, "edit", conn: 1).isEmpty }
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1}"# + "\n")
        var back: [UInt8] = []
        while back.count < 7, case .data(let chunk) = try await client.read() {
            back += chunk.readableBytesView
        }
        #expect(String(decoding: back, as: UTF8.self) == "+PANG\r\n")
        try await client.write(ByteBuffer(string: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))
        await client.shutdownWrite()
        back = await drain(client).bytes
        #expect(String(decoding: back, as: UTF8.self) == "+OK\r\n")
        await client.close(waitingAtMost: .seconds(2))
        flowtap.child.closeInput()
        #expect(try await flowtap.waitExit() == 0)

        let fresh = try await RedisServer()
        defer { fresh.stop() }
        for decode in ["auto", "none"] {
            let replay = try await runCommand(
                FlowtapProcess.binary, ["replay", file, fresh.target, "--decode", decode], timeout: 30)
            #expect(replay.status == 0, "\(decode): \(replay.out)\n\(replay.err)")
            #expect(replay.out.contains(", 12 received, answers match"), "\(decode): \(replay.out)")
        }
    }

    @Test(
        "view of a capture without message events (an older flowtap) decodes it; one with them is shown as captured"
    )
    func viewDecodesOldCapture() async throws {
        let file = CaptureTests.tempFile("old.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let writer = try CaptureWriter(path: file)
        let client = PeerAddress.ip(host: "127.0.0.1", port: 50000)
        let server = PeerAddress.ip(host: "127.0.0.1", port: 6379)
        try writer.write([
            SessionEvent(conn: 1, .open(client: client, target: server), time: 1_000_000_000),
            SessionEvent(
                conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")),
                time: 1_001_000_000),
            SessionEvent(
                conn: 1, .data(.s2c, offset: 0, bytes: ByteBuffer(string: "+PONG\r\n")), time: 1_003_500_000),
            SessionEvent(conn: 1, .eof(.c2s), time: 1_004_000_000),
            SessionEvent(conn: 2, .open(client: client, target: server), time: 2_000_000_000),
            SessionEvent(
                conn: 2, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")),
                time: 2_001_000_000),
            SessionEvent(conn: 2, .decoder("resp"), time: 2_001_000_000),
            SessionEvent(
                conn: 2,
                .message(
                    .c2s,
                    DecodedMessage(proto: "resp", index: 0, offset: 0, bytes: 14, summary: "as captured")),
                time: 2_001_000_000),
        ])
        try writer.close()
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--json"])
        #expect(view.status == 0, "\(view.err)")
        let events = Self.objects(view.out)
        #expect(named(events, "decoder", conn: 1).map { $0["proto"] as? String } == ["resp"])
        let first = named(events, "message", conn: 1)
        #expect(first.map { $0["summary"] as? String } == ["PING", "+PONG"])
        #expect(first.last?["latency_ms"] as? Double == 2.5)
        #expect(named(events, "message", conn: 2).map { $0["summary"] as? String } == ["as captured"])
        // Named, the decoder decodes the session again.
        let again = Self.objects(
            try await runCommand(FlowtapProcess.binary, ["view", file, "--json", "--decode", "resp"]).out)
        #expect(named(again, "message", conn: 2).map { $0["summary"] as? String } == ["PING"])
    }

    @Test("garbage for the decoder chosen: one decode_error per direction, the bytes all shown, exit 0")
    func garbageDecodes() async throws {
        let file = CaptureTests.tempFile("garbage.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let writer = try CaptureWriter(path: file)
        var random = SystemRandomNumberGenerator()
        var events = [
            SessionEvent(
                conn: 1,
                .open(
                    client: .ip(host: "127.0.0.1", port: 50000), target: .ip(host: "127.0.0.1", port: 6379)),
                time: 1_000)
        ]
        var offsets = [Direction.c2s: 0, .s2c: 0]
        for i in 0..<40 {
            let direction: Direction = i % 2 == 0 ? .c2s : .s2c
            // Not RESP (an array of length "zz" from the client, a 0x01 type from the server), then noise.
            let start = i < 2 ? (direction == .c2s ? Array("*zz\r\n".utf8) : [0x01]) : []
            let bytes =
                start
                + (0..<Int.random(in: 1...300, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            events.append(
                SessionEvent(
                    conn: 1, .data(direction, offset: offsets[direction]!, bytes: ByteBuffer(bytes: bytes)),
                    time: UInt64(2_000 + i)))
            offsets[direction]! += bytes.count
        }
        try writer.write(events)
        try writer.close()
        for decode in ["resp", "http", "postgres", "mqtt", "lines", "len:u32be"] {
            let view = try await runCommand(
                FlowtapProcess.binary, ["view", file, "--json", "--decode", decode])
            #expect(view.status == 0, "\(decode): \(view.err)")
            let out = Self.objects(view.out)
            let errors = named(out, "decode_error")
            #expect(errors.count <= 2, "\(decode)")
            #expect(Set(errors.compactMap { $0["dir"] as? String }).count == errors.count, "\(decode)")
            if decode == "resp" { #expect(errors.count == 2) }
            #expect(named(out, "data").count == 40)
        }
    }

    @Test("bad --decode and --ignore values exit 2 with the reason")
    func badValues() async throws {
        let view = try await runCommand(FlowtapProcess.binary, ["view", "/dev/null", "--decode", "smtp"])
        #expect(view.status == 2)
        #expect(view.err.contains("--decode: bad decoder \"smtp\""), "\(view.err)")
        let len = try await runCommand(
            FlowtapProcess.binary, ["replay", "/dev/null", "tcp:127.0.0.1:9", "--decode", "len:"])
        #expect(len.status == 2)
        #expect(len.err.contains("--decode"), "\(len.err)")
        let ignore = try await runCommand(
            FlowtapProcess.binary, ["replay", "/dev/null", "tcp:127.0.0.1:9", "--ignore", "("])
        #expect(ignore.status == 2)
        #expect(ignore.err.contains("bad --ignore pattern \"(\""), "\(ignore.err)")
    }
}

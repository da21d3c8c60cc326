import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// Messages, not reads (issue 13), end to end: the real binary with `--decode` and `--break`
/// between real peers (redis-server and redis-cli, curl and a Python HTTP server, loopback
/// clients of the test), its `--json` events checked.
@Suite(
    "flowtap --decode and --break: message events, pairing, cutting, whole-message holds", .leavesNoProcesses)
struct MessageTests {
    static let set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    static let get = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    static let ping = "*1\r\n$4\r\nPING\r\n"

    @Test("redis-cli SET and GET: decoder resp, summaries, replies paired with their request and timed")
    func redisCLI() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess(["tcp-listen:0", redis.target, "--json"])
        let port = try await flowtap.listeningPort()
        let set = try await runCommand("/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "hello"])
        #expect(set.status == 0 && set.out == "OK\n", "\(set)")
        let get = try await runCommand("/usr/bin/redis-cli", ["-p", "\(port)", "GET", "k"])
        #expect(get.status == 0 && get.out == "hello\n", "\(get)")
        try await flowtap.waitForEvents { named($0, "close").count == 2 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        for conn in [1, 2] {
            #expect(named(events, "decoder", conn: conn).map { $0["proto"] as? String } == ["resp"])
        }
        let c2s = messages(events, conn: 1, "c2s")
        let s2c = messages(events, conn: 1, "s2c")
        let request = try #require(c2s.firstIndex { $0["summary"] as? String == "SET k hello" })
        let reply = try #require(s2c.first { $0["summary"] as? String == "+OK" })
        #expect(reply["request"] as? Int == c2s[request]["index"] as? Int)
        #expect(reply["latency_ms"] is Double, "\(reply)")
        #expect(c2s[request]["request"] == nil && c2s[request]["latency_ms"] == nil)
        #expect(c2s[request]["proto"] as? String == "resp" && c2s[request]["bytes"] as? Int == 31)
        let answer = try #require(
            messages(events, conn: 2, "s2c").first { $0["summary"] as? String == "$5 hello" })
        #expect(answer["latency_ms"] is Double && answer["request"] != nil)
        // Every message event follows the data that completes it.
        for conn in [1, 2] { checkMessagesFollowData(events, conn: conn) }
    }

    @Test(
        "redis-cli --pipe: every pipelined command and reply a message, paired in order, chunks cut at message ends"
    )
    func redisPipe() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let count = 200
        var input = ""
        for i in 0..<count {
            let key = "key\(i)"
            let value = "value-\(i)"
            input += "*3\r\n$3\r\nSET\r\n$\(key.utf8.count)\r\n\(key)\r\n$\(value.utf8.count)\r\n\(value)\r\n"
        }
        let file = CaptureTests.tempFile("pipe.resp")
        try input.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let flowtap = try FlowtapProcess(["tcp-listen:0", redis.target, "--json", "--once"])
        let port = try await flowtap.listeningPort()
        let pipe = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-p", "\(port)", "--pipe"], input: .file(file), timeout: .seconds(60))
        #expect(pipe.status == 0 && pipe.out.contains("errors: 0, replies: \(count)"), "\(pipe)")
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        let c2s = messages(events, conn: 1, "c2s")
        let s2c = messages(events, conn: 1, "s2c")
        // redis-cli --pipe adds an ECHO of 20 random bytes to know when every reply came.
        #expect(c2s.count == count + 1 && s2c.count == count + 1, "\(c2s.count) \(s2c.count)")
        #expect(
            c2s.prefix(3).map { $0["summary"] as? String } == [
                "SET key0 value-0", "SET key1 value-1", "SET key2 value-2",
            ])
        #expect(c2s.map { $0["index"] as? Int } == Array(0...count).map { $0 })
        #expect(s2c.prefix(count).allSatisfy { $0["summary"] as? String == "+OK" })
        #expect(s2c.map { $0["request"] as? Int } == Array(0...count).map { $0 })
        #expect(s2c.allSatisfy { $0["latency_ms"] is Double })
        checkMessagesFollowData(events, conn: 1)
        // Cut at message ends: no data chunk carries the end of one message and more.
        checkCutAtMessages(events, conn: 1, "c2s")
        checkCutAtMessages(events, conn: 1, "s2c")
        // The messages tile the stream: the commands, then redis-cli's ECHO.
        let sent = named(events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }
        let total = sent.reduce(0) { $0 + ($1["bytes"] as! Int) }
        #expect(c2s.reduce(0) { $0 + ($1["bytes"] as! Int) } == total && total > input.utf8.count)
        #expect(c2s.prefix(count).reduce(0) { $0 + ($1["bytes"] as! Int) } == input.utf8.count)
    }

    @Test("a burst of three commands read at once leaves as three chunks, one per message; bytes unchanged")
    func burstIsCut() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", redis.target, "--json", "--once", "--decode", "resp",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: Self.ping + Self.set + Self.get))
        let answers = "+PONG\r\n+OK\r\n$1\r\nv\r\n"
        var back: [UInt8] = []
        while back.count < answers.utf8.count, case .data(let chunk) = try await boundedRead(client) {
            back += chunk.readableBytesView
        }
        #expect(String(decoding: back, as: UTF8.self) == answers)
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        #expect(named(events, "decoder", conn: 1).map { $0["proto"] as? String } == ["resp"])
        let data = named(events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }
        #expect(data.map { $0["bytes"] as? Int } == [14, 27, 20])
        #expect(
            messages(events, conn: 1, "c2s").map { $0["summary"] as? String } == ["PING", "SET k v", "GET k"])
        #expect(
            messages(events, conn: 1, "s2c").map { $0["summary"] as? String } == ["+PONG", "+OK", "$1 v"])
        #expect(
            sequence(events, conn: 1, decoding: true).prefix(7) == [
                "open", "decoder", "data c2s", "message c2s", "data c2s", "message c2s", "data c2s",
            ])
        await client.close()
    }

    @Test("curl against a chunked keep-alive server: two requests on one connection, both paired")
    func curlKeepAlive() async throws {
        let server = try HTTPServer()
        defer { server.stop() }
        let port = try await server.port()
        let flowtap = try FlowtapProcess(["tcp-listen:0", "tcp:127.0.0.1:\(port)", "--json", "--once"])
        let listen = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "/usr/bin/curl",
            ["-s", "--max-time", "20", "http://127.0.0.1:\(listen)/a", "http://127.0.0.1:\(listen)/b"])
        #expect(curl.status == 0, "\(curl)")
        #expect(curl.out == "chunk one of /a;chunk two.\nchunk one of /b;chunk two.\n", "\(curl.out)")
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        #expect(named(events, "open").count == 1, "curl reused its connection")
        #expect(named(events, "decoder", conn: 1).map { $0["proto"] as? String } == ["http"])
        let c2s = messages(events, conn: 1, "c2s")
        let s2c = messages(events, conn: 1, "s2c")
        #expect(c2s.map { $0["summary"] as? String } == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"])
        #expect(s2c.map { $0["summary"] as? String } == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
        #expect(s2c.map { $0["request"] as? Int } == [0, 1])
        #expect(s2c.allSatisfy { $0["latency_ms"] is Double })
        // The responses tile the server's bytes.
        let sent = named(events, "data", conn: 1).filter { $0["dir"] as? String == "s2c" }
        #expect(s2c.reduce(0) { $0 + ($1["bytes"] as! Int) } == sent.reduce(0) { $0 + ($1["bytes"] as! Int) })
        checkMessagesFollowData(events, conn: 1)
        checkCutAtMessages(events, conn: 1, "s2c")
    }

    @Test("bytes a framer cannot parse: one decode_error for the direction, every byte still delivered")
    func decodeError() async throws {
        let server = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--decode", "resp",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        // Inline commands are valid from a client; echoed back, they are no RESP reply.
        let pieces = [Self.ping, "HTTP/1.1 200 OK\r\n", "\u{0}\u{1}garbage\r\n", Self.ping]
        var sent: [UInt8] = []
        var back: [UInt8] = []
        for piece in pieces {
            try await client.write(ByteBuffer(string: piece))
            sent += Array(piece.utf8)
            while back.count < sent.count, case .data(let chunk) = try await boundedRead(client) {
                back += chunk.readableBytesView
            }
        }
        #expect(back == sent)
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        let errors = named(events, "decode_error", conn: 1)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?["dir"] as? String == "s2c" && errors.first?["offset"] as? Int == 14)
        #expect(errors.first?["proto"] as? String == "resp")
        #expect((errors.first?["error"] as? String)?.contains("RESP") == true, "\(errors)")
        // The first echo is a RESP array: one message before the error.
        #expect(messages(events, conn: 1, "s2c").count == 1)
        let echoed = named(events, "data", conn: 1).filter { $0["dir"] as? String == "s2c" }
        #expect(echoed.reduce(0) { $0 + ($1["bytes"] as! Int) } == sent.count)
        await client.close()
        await server.close()
    }

    @Test("paused, a command written in three pieces is held whole; one step delivers exactly it")
    func pauseGathersAMessage() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", redis.target, "--json", "--once", "--pause", "--decode", "resp"], input: .pipe)
        let client = try await connect(try await flowtap.listeningPort())
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1,"dir":"s2c"}"# + "\n")
        for piece in ["*3\r\n$3\r\nSET\r\n", "$1\r\nk\r\n$1", "\r\nv\r\n"] {
            try await client.write(ByteBuffer(string: piece))
            try await Task.sleep(for: .milliseconds(100))
        }
        try await flowtap.child.writeInput(#"{"cmd":"step","conn":1,"dir":"c2s"}"# + "\n")
        #expect(text(try await boundedRead(client)) == "+OK\r\n")
        try await flowtap.waitForEvents { !messages($0, conn: 1, "s2c").isEmpty }
        let data = named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }
        #expect(data.map { $0["bytes"] as? Int } == [27])
        // Still paused: the next command waits for its own step.
        try await client.write(ByteBuffer(string: Self.get))
        try await flowtap.child.writeInput(#"{"cmd":"step","conn":1,"dir":"c2s"}"# + "\n")
        #expect(text(try await boundedRead(client)) == "$1\r\nv\r\n")
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1}"# + "\n")
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        #expect(messages(events, conn: 1, "c2s").map { $0["summary"] as? String } == ["SET k v", "GET k"])
        #expect(
            named(events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }.map {
                $0["bytes"] as? Int
            }
                == [27, 20])
        checkMessagesFollowData(events, conn: 1)
        await client.close()
    }

    @Test(
        "--break c2s:SET holds a SET (after a GET flowed) while another session flows; step sends it; the next SET is held again"
    )
    func breakpoint() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", redis.target, "--json", "--break", "c2s:^SET"], input: .pipe)
        let port = try await flowtap.listeningPort()
        let held = try await connect(port)
        try await held.write(ByteBuffer(string: Self.get))
        #expect(text(try await boundedRead(held)) == "$-1\r\n")
        try await held.write(ByteBuffer(string: Self.set))
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 1 }
        // Another session flows, its GET answered while the SET is held (k is not set yet).
        let other = try await connect(port)
        try await other.write(ByteBuffer(string: Self.get))
        #expect(text(try await boundedRead(other)) == "$-1\r\n")
        #expect(!messages(flowtap.events, conn: 1, "c2s").contains { $0["summary"] as? String == "SET k v" })
        #expect(named(flowtap.events, "pause", conn: 2).isEmpty)
        // Held for 2 s: the reply's latency is the server's, not the user's wait.
        try await Task.sleep(for: .seconds(2))
        try await flowtap.child.writeInput(#"{"cmd":"step","conn":1,"dir":"c2s"}"# + "\n")
        #expect(text(try await boundedRead(held)) == "+OK\r\n")
        // Stepped, the direction is paused as after a user's pause: resume, then a GET flows and
        // the next SET is held by the breakpoint again.
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1,"dir":"c2s"}"# + "\n")
        try await flowtap.waitForEvents { named($0, "resume", conn: 1).count == 1 }
        try await held.write(ByteBuffer(string: Self.get))
        #expect(text(try await boundedRead(held)) == "$1\r\nv\r\n")
        try await held.write(ByteBuffer(string: Self.set))
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1,"dir":"c2s"}"# + "\n")
        #expect(text(try await boundedRead(held)) == "+OK\r\n")
        for flow in [held, other] {
            await flow.shutdownWrite()
            #expect(try await boundedRead(flow) == .eof)
            await flow.close()
        }
        try await flowtap.waitForEvents { named($0, "close").count == 2 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        #expect(
            messages(events, conn: 1, "c2s").map { $0["summary"] as? String } == [
                "GET k", "SET k v", "GET k", "SET k v",
            ])
        let heldReply = messages(events, conn: 1, "s2c").first { $0["request"] as? Int == 1 }
        let latency = try #require(heldReply?["latency_ms"] as? Double, "\(String(describing: heldReply))")
        #expect(latency < 1000, "the 2 s hold is not the server's latency: \(latency) ms")
        let order = sequence(events, conn: 1, decoding: true).filter {
            $0.hasSuffix("c2s") && !$0.hasPrefix("data") && !$0.hasPrefix("eof") && !$0.hasPrefix("shutdown")
        }
        #expect(
            order == [
                "message c2s", "pause c2s", "step c2s", "message c2s", "resume c2s", "message c2s",
                "pause c2s", "resume c2s", "message c2s",
            ], "\(order)")
    }

    @Test(
        "a headless break command adds a breakpoint to a live session and removes it; each change is a breakpoints event"
    )
    func breakCommand() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        // A breakpoint that never matches opens stdin for commands.
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", redis.target, "--json", "--break", "s2c:^NEVER"], input: .pipe)
        let port = try await flowtap.listeningPort()
        let client = try await connect(port)
        try await client.write(ByteBuffer(string: Self.set))
        #expect(text(try await boundedRead(client)) == "+OK\r\n")
        try await flowtap.child.writeInput(#"{"cmd":"break","add":"c2s:^GET"}"# + "\n")
        try await flowtap.waitForEvents { !named($0, "breakpoints").isEmpty }
        #expect(
            named(flowtap.events, "breakpoints").last?["breakpoints"] as? [String] == [
                "s2c:^NEVER", "c2s:^GET",
            ])
        // The session was open before the breakpoint: its next GET is held, the reply waits.
        try await client.write(ByteBuffer(string: Self.get))
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 1 }
        #expect(!messages(flowtap.events, conn: 1, "c2s").contains { $0["summary"] as? String == "GET k" })
        try await flowtap.child.writeInput(#"{"cmd":"break","remove":"c2s:^GET"}"# + "\n")
        try await flowtap.child.writeInput(#"{"cmd":"break","remove":"c2s:^GET"}"# + "\n")
        try await flowtap.waitForEvents { !named($0, "control_error").isEmpty }
        #expect(named(flowtap.events, "breakpoints").last?["breakpoints"] as? [String] == ["s2c:^NEVER"])
        let refusal = named(flowtap.events, "control_error").first?["error"] as? String
        #expect(
            refusal?.contains("no breakpoint c2s:^GET (set: s2c:^NEVER)") == true,
            "\(String(describing: refusal))")
        // Removing the breakpoint leaves what it held held: resume delivers it; the next GET flows.
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1,"dir":"c2s"}"# + "\n")
        #expect(text(try await boundedRead(client)) == "$1\r\nv\r\n")
        try await client.write(ByteBuffer(string: Self.get))
        #expect(text(try await boundedRead(client)) == "$1\r\nv\r\n")
        #expect(named(flowtap.events, "pause", conn: 1).count == 1)
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        await client.close()
        try await flowtap.waitForEvents { named($0, "close").count == 1 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test(
        "at the end of a stream: a body that ends at close is one whole reply; a request cut short is truncated"
    )
    func endOfStream() async throws {
        // Answers a whole request head with an HTTP/1.0 response without length, then closes;
        // closes at the client's FIN otherwise.
        let server = try await LoopbackServer { connection in
            var request: [UInt8] = []
            while !String(decoding: request, as: UTF8.self).contains("\r\n\r\n"),
                case .data(let chunk) = (try? await connection.read()) ?? .eof
            {
                request += chunk.readableBytesView
            }
            if String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                try? await connection.write(ByteBuffer(string: "HTTP/1.0 200 OK\r\n\r\nbody until close"))
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--decode", "http"])
        let port = try await flowtap.listeningPort()
        let whole = try await connect(port)
        try await whole.write(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
        #expect(
            String(decoding: await drain(whole).bytes, as: UTF8.self)
                == "HTTP/1.0 200 OK\r\n\r\nbody until close")
        await whole.close()
        let cut = try await connect(port)
        try await cut.write(ByteBuffer(string: "GET /x HTTP/1.1\r\nHost: a"))
        await cut.shutdownWrite()
        #expect(await drain(cut).bytes.isEmpty)
        await cut.close()
        try await flowtap.waitForEvents { named($0, "close").count == 2 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        let reply = messages(events, conn: 1, "s2c")
        #expect(reply.map { $0["summary"] as? String } == ["HTTP/1.0 200 OK"])
        #expect(reply.first?["bytes"] as? Int == 35 && reply.first?["truncated"] == nil)
        #expect(reply.first?["request"] as? Int == 0 && reply.first?["latency_ms"] is Double)
        checkMessagesFollowData(events, conn: 1)
        let request = messages(events, conn: 2, "c2s")
        #expect(request.count == 1 && request.first?["truncated"] as? Bool == true, "\(request)")
        #expect(request.first?["bytes"] as? Int == 24)
        await server.close()
    }

    @Test("bad --decode and --break values: a clear error, exit 2")
    func badValues() async throws {
        for (arguments, expected) in [
            (["--decode", "smtp"], "unknown decoder"),
            (["--decode", "len:u24"], "--decode"),
            (["--break", "c2s:("], "bad breakpoint"),
            (["--break", "s2c:"], "empty pattern"),
        ] {
            let run = try await runCommand(
                FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:9", "--json"] + arguments)
            #expect(run.status == 2, "\(arguments): \(run)")
            #expect(run.err.contains(expected), "\(arguments): \(run.err)")
        }
    }

    @Test("headless text: one line per message, replies with their request and latency")
    func textLines() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess(["tcp-listen:0", redis.target, "--headless", "--once"])
        let line = try await flowtap.waitForLine { $0.contains("listening on") }
        let port = Int(line.split(separator: ":").last!)!
        let set = try await runCommand("/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "v"])
        #expect(set.status == 0)
        #expect(try await flowtap.waitExit() == 0)
        let output = flowtap.output
        #expect(output.contains { $0.hasSuffix("#1 decoded as resp") }, "\(output)")
        #expect(output.contains { $0.hasSuffix("#1 c2s resp #0 SET k v (27 B)") }, "\(output)")
        let reply = try #require(output.first { $0.contains("#1 s2c resp #0 +OK") })
        #expect(reply.contains("(5 B, reply to #0, ") && reply.hasSuffix(" ms)"), "\(reply)")
    }
}

/// The `message` events of one session and direction, in order.
func messages(_ events: [[String: Any]], conn: Int, _ dir: String) -> [[String: Any]] {
    named(events, "message", conn: conn).filter { $0["dir"] as? String == dir }
}

/// Each message event of `conn` comes after the data event that holds its last byte, and before
/// the next data event of its direction.
func checkMessagesFollowData(
    _ events: [[String: Any]], conn: Int, sourceLocation: SourceLocation = #_sourceLocation
) {
    for dir in ["c2s", "s2c"] {
        var lastDataEnd = 0
        for event in events where event["conn"] as? Int == conn && event["dir"] as? String == dir {
            switch event["event"] as? String {
            case "data":
                lastDataEnd = (event["offset"] as! Int) + (event["bytes"] as! Int)
            case "message":
                let end = (event["offset"] as! Int) + (event["bytes"] as! Int)
                guard end == lastDataEnd else {
                    Issue.record(
                        "a \(dir) message ending at \(end) follows data up to \(lastDataEnd)",
                        sourceLocation: sourceLocation)
                    return
                }
            default: break
            }
        }
    }
}

/// No data event of `dir` holds a message end before its own last byte.
func checkCutAtMessages(
    _ events: [[String: Any]], conn: Int, _ dir: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let ends = Set(messages(events, conn: conn, dir).map { ($0["offset"] as! Int) + ($0["bytes"] as! Int) })
    for event in named(events, "data", conn: conn) where event["dir"] as? String == dir {
        let start = event["offset"] as! Int
        let end = start + (event["bytes"] as! Int)
        let inside = ends.filter { $0 > start && $0 < end }
        guard inside.isEmpty else {
            Issue.record(
                "data \(start)..<\(end) holds message ends \(inside.sorted())", sourceLocation: sourceLocation
            )
            return
        }
    }
}

/// A Python `http.server` on a free loopback port that answers every GET with a chunked body in
/// two chunks, keeping the connection alive (HTTP/1.1).
final class HTTPServer: Sendable {
    let child: ChildProcess

    static let script = """
        import http.server, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in ("chunk one of " + self.path + ";", "chunk two.\\n"):
                    data = part.encode()
                    self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\\r\\n\\r\\n")
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    init() throws {
        child = try ChildProcess("/usr/bin/python3", ["-c", Self.script])
    }

    /// The port it printed once listening.
    func port() async throws -> Int {
        for _ in 0..<1000 {
            if let line = child.outputLines.first, let port = Int(line) { return port }
            if let status = child.exitStatus {
                Issue.record("python3 exited with \(status): \(child.standardError)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the HTTP server never printed its port")
        throw CancellationError()
    }

    func stop() { child.stop() }
}

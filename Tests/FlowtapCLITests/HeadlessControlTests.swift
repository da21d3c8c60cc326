import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// Headless control end to end: `--pause` sessions driven by JSON Lines on the real binary's
/// stdin (a pipe the test writes), real sockets on loopback.
@Suite("flowtap --pause headless: commands on stdin", .leavesNoProcesses)
struct HeadlessControlTests {
    /// A server answering each chunk with "+PONG\r\n" (and passing the client's FIN on); what
    /// it received is kept.
    static func pongServer(_ received: ReceivedBytes) async throws -> LoopbackServer {
        try await LoopbackServer { connection in
            var all: [UInt8] = []
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                all += chunk.readableBytesView
                received.set(all)
                do { try await connection.write(ByteBuffer(string: "+PONG\r\n")) } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
    }

    @Test("stepped and resumed from stdin: exact bytes, events in order")
    func stepAndResume() async throws {
        let received = ReceivedBytes()
        let server = try await Self.pongServer(received)
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", server.target, "--json", "--once", "--pause"], input: .pipe)
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "PING\r\n"))
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        // Held: nothing reaches the server until stepped.
        try await Task.sleep(for: .milliseconds(300))
        #expect(received.get().isEmpty)
        try await flowtap.child.writeInput(#"{"cmd":"step","conn":1,"dir":"c2s"}"# + "\n")
        try await flowtap.waitForEvents { !named($0, "data", conn: 1).isEmpty }
        // The answer is held in s2c: the client gets nothing yet.
        try await waitUntil { received.get() == Array("PING\r\n".utf8) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(named(flowtap.events, "data", conn: 1).count == 1)
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1}"# + "\n")
        #expect(text(try await boundedRead(client)) == "+PONG\r\n")
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        #expect(
            sequence(flowtap.events, conn: 1) == [
                "open", "pause c2s", "pause s2c", "step c2s", "data c2s", "resume c2s", "resume s2c",
                "data s2c", "eof c2s", "shutdown c2s", "eof s2c", "shutdown s2c", "close",
            ])
        let data = named(flowtap.events, "data", conn: 1)
        #expect(data.map { $0["bytes"] as? Int } == [6, 7])
        #expect(named(flowtap.events, "control_error").isEmpty)
        await client.close()
        await server.close()
    }

    @Test("bad commands get control_error with a reason and the line; the session still works")
    func badCommands() async throws {
        let received = ReceivedBytes()
        let server = try await Self.pongServer(received)
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", server.target, "--json", "--once", "--pause"], input: .pipe)
        let client = try await connect(try await flowtap.listeningPort())
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        let bad = [
            "this is not json",
            #"{"cmd":"resmue","conn":1}"#,
            #"{"cmd":"resume","conn":7}"#,
            #"{"cmd":"resume","conn":1,"dir":"up"}"#,
            #"{"cmd":"drop","conn":1}"#,
            String(repeating: "x", count: (1 << 20) + 10),
            #"{"cmd":"inject","conn":1,"dir":"c2s","text":"\\q"}"#,
            #"{"cmd":"resume","conn":1,"dri":"c2s"}"#,
        ]
        for line in bad { try await flowtap.child.writeInput(line + "\n") }
        try await flowtap.waitForEvents { named($0, "control_error").count == bad.count }
        let errors = named(flowtap.events, "control_error")
        #expect(errors.map { $0["line"] as? Int } == Array(1...bad.count))
        let reasons = errors.map { $0["error"] as? String ?? "" }
        #expect(reasons[0].contains("not a JSON object"))
        #expect(reasons[1].contains("unknown command \"resmue\""))
        #expect(reasons[2].contains("no session #7"))
        #expect(reasons[3].contains("\"dir\" must be"))
        #expect(reasons[4].contains("drop needs \"dir\""))
        #expect(reasons[5].contains("line longer than"))
        #expect(reasons[6].contains("unknown escape"))
        #expect(reasons[7].contains("unknown field \"dri\""))
        #expect(errors.allSatisfy { $0["conn"] == nil })
        // Nothing moved, nothing was resumed.
        #expect(named(flowtap.events, "resume").isEmpty)
        // The session still obeys: the first chunk dropped (held or not yet read), bytes
        // injected, then everything resumed.
        try await client.write(ByteBuffer(string: "AAAA"))
        try await flowtap.child.writeInput(#"{"cmd":"drop","conn":1,"dir":"c2s"}"# + "\n")
        try await flowtap.waitForEvents { !named($0, "drop", conn: 1).isEmpty }
        try await flowtap.child.writeInput(#"{"cmd":"inject","conn":1,"dir":"c2s","hex":"580d0a"}"# + "\n")
        try await waitUntil { received.get() == Array("X\r\n".utf8) }
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":1}"# + "\n")
        #expect(text(try await boundedRead(client)) == "+PONG\r\n")
        try await client.write(ByteBuffer(string: "BBBB"))
        #expect(text(try await boundedRead(client)) == "+PONG\r\n")
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        #expect(received.get() == Array("X\r\nBBBB".utf8))
        let drop = named(flowtap.events, "drop", conn: 1)
        #expect(drop.count == 1 && drop.first?["bytes"] as? Int == 4)
        #expect(named(flowtap.events, "inject", conn: 1).first?["bytes"] as? Int == 3)
        #expect(named(flowtap.events, "control_error").count == bad.count)
        await client.close()
        await server.close()
    }

    @Test("end of stdin resumes every session, says so, and new sessions are not paused")
    func endOfInputResumes() async throws {
        let received = ReceivedBytes()
        let server = try await Self.pongServer(received)
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--pause"], input: .pipe)
        let port = try await flowtap.listeningPort()
        let first = try await connect(port)
        try await first.write(ByteBuffer(string: "one"))
        try await flowtap.waitForEvents { named($0, "pause", conn: 1).count == 2 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(received.get().isEmpty)
        flowtap.child.closeInput()
        #expect(text(try await boundedRead(first)) == "+PONG\r\n")
        try await flowtap.waitForEvents { events in
            named(events, "note").contains { ($0["text"] as? String ?? "").contains("stdin ended") }
        }
        #expect(
            sequence(flowtap.events, conn: 1).prefix(4) == ["open", "pause c2s", "pause s2c", "resume c2s"])
        // A session accepted afterwards flows at once.
        let second = try await connect(port)
        try await second.write(ByteBuffer(string: "two"))
        #expect(text(try await boundedRead(second)) == "+PONG\r\n")
        #expect(named(flowtap.events, "pause", conn: 2).isEmpty)
        await first.close()
        await second.close()
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await server.close()
    }

    @Test("--pause --headless with stdin a regular file is refused (exit 2, with the reason)")
    func regularFileRefused() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "flowtap-ctl-\(getpid()).jsonl"
        )
        .path
        try Data(#"{"cmd":"resume","conn":1}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let flowtap = try FlowtapProcess(
            ["tcp-listen:0", "tcp:127.0.0.1:9", "--headless", "--pause"], input: .file(path))
        #expect(try await flowtap.waitExit() == 2)
        #expect(flowtap.stderr.contains("regular file"))
        #expect(flowtap.output.isEmpty)
    }

    @Test("without --pause stdin is never read")
    func stdinNotReadWithoutPause() async throws {
        let received = ReceivedBytes()
        let server = try await Self.pongServer(received)
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--once"], input: .pipe)
        // A command that would pause the session if it were read.
        let command = #"{"cmd":"pause","conn":1}"# + "\n"
        try await flowtap.child.writeInput(command)
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "PING\r\n"))
        #expect(text(try await boundedRead(client)) == "+PONG\r\n")
        #expect(flowtap.child.unreadInputBytes == command.utf8.count)
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        #expect(try await flowtap.waitExit() == 0)
        #expect(named(flowtap.events, "pause").isEmpty)
        #expect(named(flowtap.events, "control_error").isEmpty)
        await client.close()
        await server.close()
    }

    @Test("paused sessions whose clients sent and reset are ended; their target connections close")
    func resetWhilePaused() async throws {
        let ended = Mutex(0)
        let server = try await LoopbackServer { connection in
            _ = await drain(connection)
            ended.withLock { $0 += 1 }
            await connection.close(waitingAtMost: .seconds(2))
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--pause"], input: .pipe)
        let port = try await flowtap.listeningPort()
        let count = 20
        for _ in 0..<count {
            let client = try await connect(port)
            try await client.write(ByteBuffer(string: "sent, then reset"))
            await client.reset()
        }
        try await flowtap.waitForEvents { named($0, "close").count == count }
        try await waitUntil(timeout: 20) { ended.withLock { $0 } == count }
        for conn in 1...count {
            let order = sequence(flowtap.events, conn: conn)
            #expect(order.first == "open" && order.last == "close")
            #expect(order.contains("read_error c2s"))
            #expect(!order.contains("data c2s"))
        }
        let errors = named(flowtap.events, "read_error").map { $0["error"] as? String ?? "" }
        #expect(errors.allSatisfy { $0.contains("reset") })
        // Every client's and target's socket is closed: only the listening socket is left.
        try await waitUntil { openSockets(flowtap.pid) == 1 }
        // A FIN while paused stays a half-close: that session lives on, and is passed on.
        let halfClosed = try await connect(port)
        try await halfClosed.write(ByteBuffer(string: "bye"))
        await halfClosed.shutdownWrite()
        try await flowtap.waitForEvents { named($0, "pause", conn: count + 1).count == 2 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(named(flowtap.events, "close", conn: count + 1).isEmpty)
        try await flowtap.child.writeInput(#"{"cmd":"resume","conn":\#(count + 1)}"# + "\n")
        #expect(try await boundedRead(halfClosed) == .eof)
        try await flowtap.waitForEvents { !named($0, "close", conn: count + 1).isEmpty }
        // (The held chunk may go on before "resume s2c" is reported.)
        let order = sequence(flowtap.events, conn: count + 1)
        #expect(order.contains("resume s2c"))
        #expect(
            order.filter { $0 != "resume s2c" } == [
                "open", "pause c2s", "pause s2c", "resume c2s", "data c2s", "eof c2s", "shutdown c2s",
                "eof s2c", "shutdown s2c", "close",
            ])
        await halfClosed.close()
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await server.close()
    }
}

/// The next read of `flow`, or an issue (and a thrown error) when nothing comes within
/// `seconds`: a command that was not carried out must fail its test, not hang it.
func boundedRead(
    _ flow: SocketFlow, within seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> ReadResult {
    let result = try await withThrowingTaskGroup(of: ReadResult?.self) { group in
        group.addTask { try await flow.read() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
    guard let result else {
        Issue.record("nothing read within \(seconds) s", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return result
}

/// How many sockets process `pid` holds open (from `/proc/PID/fd`); -1 when the folder cannot
/// be listed (the process is gone).
func openSockets(_ pid: Int32) -> Int {
    let folder = "/proc/\(pid)/fd"
    let entries: [String]
    do {
        entries = try FileManager.default.contentsOfDirectory(atPath: folder)
    } catch {
        return -1
    }
    var sockets = 0
    for entry in entries {
        // A descriptor closed since the listing has no link any more: it is not counted.
        guard let target = readlink(folder + "/" + entry) else { continue }
        if target.hasPrefix("socket:") { sockets += 1 }
    }
    return sockets
}

/// The target of symbolic link `path`, or `nil` when it is not one (or is gone).
private func readlink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let count = Glibc.readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Waits (bounded, polling) until `condition` holds; an issue if it never does.
func waitUntil(
    timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition never held within \(timeout) s", sourceLocation: sourceLocation)
    throw CancellationError()
}

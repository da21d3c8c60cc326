import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// The real `flowtap` binary with its curses UI in tmux, against a real echo server on loopback:
/// what the user sees, and what the peer really gets.
@Suite("flowtap UI end to end (tmux)", .serialized, .leavesNoProcesses)
struct FlowtapUIEndToEndTests {
    /// The built binary (see ``Machine/flowtapBinary``).
    static var binary: String { Machine.flowtapBinary }

    /// An echo server that records what it received, and answers "BYE" after the client's FIN.
    final class EchoServer: Sendable {
        let listener: Listener
        let received = Mutex<[UInt8]>([])
        init() async throws {
            listener = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
            let listener = self.listener
            Task {
                while let connection = try? await listener.accept() {
                    Task {
                        while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                            self.received.withLock { $0 += chunk.readableBytesView }
                            do { try await connection.write(chunk) } catch { break }
                        }
                        try? await Task.sleep(for: .milliseconds(300))
                        try? await connection.write(ByteBuffer(string: "BYE\r\n"))
                        await connection.shutdownWrite()
                        await connection.close(waitingAtMost: .seconds(5))
                    }
                }
            }
        }
        var port: Int { listener.localSocketAddress?.port ?? 0 }
        var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }
    }

    /// Starts flowtap with its UI in a 120x40 tmux terminal in front of `server`, and returns the
    /// driver and the real listening port, read from the title line
    /// ("flowtap  127.0.0.1:PORT ⇄ 127.0.0.1:TARGET").
    static func start(in server: EchoServer, _ options: String...) async throws -> (TmuxDriver, Int) {
        let tmux = try await TmuxDriver(
            command: [binary, "tcp-listen:0", "tcp:127.0.0.1:\(server.port)"] + options, width: 120,
            height: 40,
            environment: ["LANG": "C.UTF-8"])
        let title = try await tmux.waitFor("? help")
        let listen = try #require(
            title.split(separator: "\n").first?.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
        return (tmux, try #require(Int(listen.split(separator: ":").last!)))
    }

    @Test(
        "live hex dump, p holds the bytes, r delivers, FIN shows while the reply arrives, w saves what -w wrote, resize, q"
    )
    func liveSession() async throws {
        let server = try await EchoServer()
        let live =
            NSTemporaryDirectory() + "flowtap-ui-live-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
        defer { try? FileManager.default.removeItem(atPath: live) }
        let (tmux, port) = try await Self.start(in: server, "-w", live)
        defer { tmux.kill() }
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))

        // Live traffic shows as a hex dump.
        try await client.write(ByteBuffer(string: "PING\r\n"))
        try await tmux.waitFor("50 49 4e 47 0d 0a")
        #expect(String(buffer: try await nextChunk(client)) == "PING\r\n")

        // p pauses the focused direction (client → server): the next chunk is held, not delivered.
        try await tmux.sendKeys("p")
        try await tmux.waitFor("paused")
        try await client.write(ByteBuffer(string: "HELD\r\n"))
        var screen = try await tmux.waitFor("(held)")
        #expect(screen.contains("48 45 4c 44 0d 0a"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.text == "PING\r\n", "the server got bytes that were held")

        // r delivers them.
        try await tmux.sendKeys("r")
        #expect(String(buffer: try await nextChunk(client)) == "HELD\r\n")
        try await eventually { server.text == "PING\r\nHELD\r\n" }
        screen = try await tmux.waitUntil("held mark gone") { !$0.contains("(held)") }

        // The client's FIN shows as shut while the server's reply still arrives.
        await client.shutdownWrite()
        try await tmux.waitUntil("c2s shut") {
            $0.contains("client → server  #1  shut") || $0.contains("#1  shut")
        }
        #expect(String(buffer: try await nextChunk(client)) == "BYE\r\n")
        #expect(try await client.read() == .eof)
        try await tmux.waitFor("closed")

        // w saves a capture that tshark reads back byte for byte.
        let path =
            NSTemporaryDirectory() + "flowtap-ui-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
        try await tmux.sendKeys("w")
        try await tmux.waitFor(".pcapng")
        for _ in 0..<48 { try await tmux.sendKeys("BSpace") }  // clear the proposed name
        try await tmux.type(path)
        try await tmux.sendKeys("Enter")
        try await tmux.waitFor("saved 1 session")
        let follow = try await tsharkFollow(path).split(separator: "\n").filter {
            $0.allSatisfy { $0.isHexDigit || $0 == "\t" } && !$0.isEmpty
        }
        #expect(follow.filter { !$0.hasPrefix("\t") }.joined() == "50494e470d0a48454c440d0a")
        #expect(
            follow.filter { $0.hasPrefix("\t") }.map { $0.dropFirst() }.joined()
                == "50494e470d0a48454c440d0a4259450d0a")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // w and -w wrote the same capture: the same blocks, byte for byte (pause and resume too).
        let saved = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(saved == (try Data(contentsOf: URL(fileURLWithPath: live))), "w and -w differ")
        // Saving over an existing file asks first; anything but y leaves it alone.
        try await tmux.sendKeys("w")
        try await tmux.waitFor(".pcapng")
        for _ in 0..<48 { try await tmux.sendKeys("BSpace") }
        try await tmux.type(path)
        try await tmux.sendKeys("Enter")
        try await tmux.waitFor("exists. Replace it? (y/n)")
        try await tmux.sendKeys("n")
        try await tmux.waitFor("not saved:")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == saved)

        // A resize redraws the whole screen at the new size.
        try await tmux.resize(width: 80, height: 24)
        screen = try await tmux.waitUntil("redrawn at 80 columns") { screen in
            screen.contains("? help") && screen.split(separator: "\n").allSatisfy { $0.count <= 80 }
        }
        #expect(screen.contains("#1"))

        // q exits 0 and leaves the terminal usable: the summary prints after the UI is gone.
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        let after = try await tmux.capture(history: true)
        #expect(after.contains("flowtap: 1 session"))
        await client.close(waitingAtMost: .seconds(1))
        await server.listener.close()
    }

    @Test("--pause starts sessions held: nothing reaches the server until stepped")
    func interceptMode() async throws {
        let server = try await EchoServer()
        let (tmux, port) = try await Self.start(in: server, "--pause")
        defer { tmux.kill() }
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await client.write(ByteBuffer(string: "one\r\n"))
        try await tmux.waitFor("(held)")
        try await client.write(ByteBuffer(string: "two\r\n"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.text.isEmpty)
        // s steps the focused direction (client → server) by exactly one chunk.
        try await tmux.sendKeys("s")
        try await eventually { server.text == "one\r\n" }
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.text == "one\r\n")
        try await tmux.sendKeys("s")
        try await eventually { server.text == "one\r\ntwo\r\n" }
        // The answers are held too (server → client is paused): r resumes everything.
        try await tmux.waitFor("server → client  #1  open  5 B in 1 chunk")
        try await tmux.sendKeys("r")
        // The client gets both answers, in order.
        var answers: [UInt8] = []
        while answers.count < 10 { answers += try await nextChunk(client).readableBytesView }
        #expect(String(decoding: answers, as: UTF8.self) == "one\r\ntwo\r\n")
        // The resume shows before the second answer is read: wait for both.
        try await tmux.waitUntil("both resumed, every answer shown") {
            // (The title says "new sessions paused": --pause still applies to new ones.)
            !$0.split(separator: "\n").dropFirst().contains { $0.contains("paused") }
                && $0.contains("10 B       10 B")
        }
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        await client.close(waitingAtMost: .seconds(1))
        await server.listener.close()
    }

    /// The title line of session `id`'s server → client pane on `screen` (empty when not shown).
    static func s2cTitle(_ screen: String, _ id: Int) -> Substring {
        screen.split(separator: "\n").first { $0.hasPrefix(" server → client  #\(id)") } ?? ""
    }

    @Test("t adds a latency fault to server → client live, the title shows it, clear removes it")
    func faultMenu() async throws {
        let server = try await EchoServer()
        let (tmux, port) = try await Self.start(in: server)
        defer { tmux.kill() }
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        let clock = ContinuousClock()
        func roundTrip(_ text: String) async throws -> Duration {
            let start = clock.now
            try await client.write(ByteBuffer(string: text))
            #expect(String(buffer: try await nextChunk(client)) == text)
            return clock.now - start
        }
        func s2cTitle(_ screen: String) -> Substring { Self.s2cTitle(screen, 1) }
        _ = try await roundTrip("one\r\n")
        try await tmux.waitFor("server → client  #1  open  5 B")

        // Tab focuses server → client; t opens its menu; +latency=3s and Enter apply it. The latency is
        // long so that "not delayed any more" below is told apart from a slow machine: a round trip
        // on loopback that takes 3 s without the fault would be a bug of its own.
        try await tmux.sendKeys("Tab")
        try await tmux.sendKeys("t")
        try await tmux.waitFor("faults of server → client #1: none >")
        try await tmux.type("+latency=3s")
        try await tmux.sendKeys("Enter")
        let screen = try await tmux.waitUntil("the title shows the fault") {
            s2cTitle($0).contains("faults: latency=3s")
        }
        #expect(screen.contains("faults on server → client #1: latency=3s"))
        let slow = try await roundTrip("two\r\n")
        #expect(slow >= .seconds(3), "round trip \(slow) under a 3 s latency")

        // A bad edit says why and keeps the menu open; clear then removes the fault.
        try await tmux.sendKeys("t")
        try await tmux.waitFor("faults of server → client #1: 1 latency=3s >")
        try await tmux.type("+latency=soon")
        try await tmux.sendKeys("Enter")
        try await tmux.waitFor("bad duration \"soon\"")
        for _ in 0..<"+latency=soon".count { try await tmux.sendKeys("BSpace") }
        try await tmux.type("clear")
        try await tmux.sendKeys("Enter")
        try await tmux.waitUntil("the fault left the title") {
            $0.contains("no faults on server → client #1") && !s2cTitle($0).contains("faults")
        }
        let fast = try await roundTrip("three\r\n")
        #expect(fast < .seconds(3), "round trip \(fast) after clear")

        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        await client.close(waitingAtMost: .seconds(1))
        await server.listener.close()
    }

    @Test(
        "T sets a fault for every session: the live one gets it, a new one starts with it, the title says so")
    func everySessionFaults() async throws {
        let server = try await EchoServer()
        let (tmux, port) = try await Self.start(in: server)
        defer { tmux.kill() }
        func echo(_ client: SocketFlow, _ text: String) async throws {
            try await client.write(ByteBuffer(string: text))
            var got = ""
            while got.utf8.count < text.utf8.count { got += String(buffer: try await nextChunk(client)) }
            #expect(got == text)
        }
        func s2cTitle(_ screen: String, _ id: Int) -> Substring { Self.s2cTitle(screen, id) }
        let first = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await echo(first, "one\r\n")
        try await tmux.waitFor("server → client  #1  open  5 B")

        // Tab focuses server → client; T opens the menu for every session.
        try await tmux.sendKeys("Tab")
        try await tmux.sendKeys("T")
        try await tmux.waitFor("faults of server → client, every session (new ones too): none >")
        try await tmux.type("+slice=1")
        try await tmux.sendKeys("Enter")
        let applied = try await tmux.waitUntil("the live session has it, the title names it") {
            s2cTitle($0, 1).contains("faults: slice=1") && $0.contains("new sessions: s2c:slice=1")
        }
        #expect(applied.contains("faults on server → client of new sessions and 1 live one: slice=1"))
        // Sliced to one byte a write, the echo still arrives whole.
        try await echo(first, "two\r\n")

        // A new session starts with it (G goes to it: the user acted, so the list stayed put).
        let second = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await echo(second, "three\r\n")
        try await tmux.waitFor("#2 new")
        try await tmux.sendKeys("G")
        try await tmux.waitUntil("#2 starts with the fault") { s2cTitle($0, 2).contains("faults: slice=1") }

        // T and clear: new sessions start without faults again.
        try await tmux.sendKeys("T")
        try await tmux.waitFor("every session (new ones too): 1 slice=1 >")
        try await tmux.type("clear")
        try await tmux.sendKeys("Enter")
        try await tmux.waitUntil("the title no longer names it") {
            !$0.contains("new sessions: s2c") && !s2cTitle($0, 2).contains("faults")
        }
        let third = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await echo(third, "four\r\n")
        try await tmux.sendKeys("G")
        let last = try await tmux.waitUntil("#3 shown") { !s2cTitle($0, 3).isEmpty }
        #expect(!s2cTitle(last, 3).contains("faults"))

        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        for client in [first, second, third] { await client.close(waitingAtMost: .seconds(1)) }
        await server.listener.close()
    }

    @Test(
        "e edits a held chunk (text and hex), d drops one, i injects: the server gets exactly that; so does -w"
    )
    func editDropInject() async throws {
        let server = try await EchoServer()
        let path =
            NSTemporaryDirectory() + "flowtap-edit-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (tmux, port) = try await Self.start(in: server, "-w", path)
        defer { tmux.kill() }
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await tmux.waitFor("client → server  #1")
        try await tmux.sendKeys("p")  // client → server is focused at start
        try await tmux.waitFor("paused: nothing held")

        // e opens the editor on the held chunk, in text with escapes; the edit goes in its place.
        try await client.write(ByteBuffer(string: "SET color red\r\n"))
        try await tmux.waitFor("(held)")
        try await tmux.sendKeys("e")
        try await tmux.waitFor("SET color red\\r\\n")
        for _ in 0..<"red\\r\\n".count { try await tmux.sendKeys("BSpace") }
        try await tmux.type("blue\\r\\n")
        try await tmux.waitFor("15 B → 16 B")
        try await tmux.sendKeys("Enter")
        try await eventually { server.text == "SET color blue\r\n" }
        #expect(String(buffer: try await nextChunk(client)) == "SET color blue\r\n")
        var screen = try await tmux.waitFor("(edited)")
        #expect(screen.contains("(original, not sent)"))
        #expect(screen.contains("paused"), "an edit keeps the direction paused")

        // d drops the next held chunk: the server never gets it.
        try await client.write(ByteBuffer(string: "DEBUG secret\r\n"))
        try await tmux.waitFor("(held)")
        try await tmux.sendKeys("d")
        try await tmux.waitFor("(dropped, not sent)")

        // i injects while a chunk is held: the injected bytes arrive first, the held chunk after.
        try await client.write(ByteBuffer(string: "AFTER\r\n"))
        try await tmux.waitFor("(held)")
        try await tmux.sendKeys("i")
        try await tmux.waitFor("inject into client → server #1")
        try await tmux.type("INJ\\x21\\r\\n")
        try await tmux.sendKeys("Enter")
        try await eventually { server.text == "SET color blue\r\nINJ!\r\n" }
        try await tmux.waitFor("(injected)")

        // e, Tab to hex, one more byte at the end: the held chunk goes out as edited in hex.
        try await tmux.sendKeys("e")
        try await tmux.waitFor("AFTER\\r\\n")
        try await tmux.sendKeys("Tab")
        try await tmux.waitFor("41 46 54 45 52 0d 0a")
        try await tmux.sendKeys("End")
        try await tmux.type(" 3f")
        try await tmux.sendKeys("Enter")
        try await eventually { server.text == "SET color blue\r\nINJ!\r\nAFTER\r\n?" }
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.text == "SET color blue\r\nINJ!\r\nAFTER\r\n?", "a dropped chunk arrived")

        // The session ends; the capture holds what was really sent, with notes on every change.
        try await tmux.sendKeys("r")
        await client.shutdownWrite()
        try await tmux.waitFor("closed")
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        let follow = try await tsharkFollow(path).split(separator: "\n").filter {
            $0.allSatisfy { $0.isHexDigit || $0 == "\t" } && !$0.isEmpty
        }
        let sent = Array("SET color blue\r\nINJ!\r\nAFTER\r\n?".utf8)
        #expect(
            follow.filter { !$0.hasPrefix("\t") }.joined() == sent.map { String(format: "%02x", $0) }.joined()
        )
        let comments = try await tsharkComments(path)
        let red = try await SHA256Hex.of("SET color red\r\n")
        let secret = try await SHA256Hex.of("DEBUG secret\r\n")
        let after = try await SHA256Hex.of("AFTER\r\n")
        #expect(
            comments.contains(
                "flowtap #1: c2s edit: held chunk replaced; original 15 bytes, sha256 \(red); sent 16 bytes"))
        #expect(
            comments.contains(
                "flowtap #1: c2s drop: held chunk of 14 bytes, sha256 \(secret), not sent"
            ))
        #expect(comments.contains("flowtap #1: c2s inject: 6 bytes typed by the user"))
        #expect(
            comments.contains(
                "flowtap #1: c2s edit: held chunk replaced; original 7 bytes, sha256 \(after); sent 8 bytes"
            ))
        screen = try await tmux.capture(history: true)
        #expect(screen.contains("flowtap: 1 session"))
        await client.close(waitingAtMost: .seconds(1))
        await server.listener.close()
    }

    /// Writes a capture of one session: the client sends `request` then FIN; the server answers
    /// each of `answers` (the last after the client's FIN), then FIN.
    static func writeCapture(_ path: String, request: String, answers: [String]) throws {
        let writer = try CaptureWriter(path: path)
        var t: UInt64 = 1_764_000_000_000_000_000
        var offset = 0
        func add(_ kind: SessionEvent.Kind) throws {
            t += 1_000_000
            try writer.write(SessionEvent(conn: 1, kind, time: t))
        }
        func answer(_ text: String) throws {
            try add(.data(.s2c, offset: offset, bytes: ByteBuffer(string: text)))
            offset += text.utf8.count
        }
        try add(
            .open(client: .ip(host: "127.0.0.1", port: 40000), target: .ip(host: "127.0.0.1", port: 7000)))
        try add(.data(.c2s, offset: 0, bytes: ByteBuffer(string: request)))
        for text in answers.dropLast() { try answer(text) }
        try add(.eof(.c2s))
        try add(.shutdown(.c2s))
        if let last = answers.last { try answer(last) }
        try add(.eof(.s2c))
        try add(.shutdown(.s2c))
        try add(.close(c2s: Stats(), s2c: Stats()))
        try writer.close()
    }

    @Test(
        "replay in a terminal shows the capture as #1 and the replay as #2; the title and exit status give the result"
    )
    func replayUI() async throws {
        let server = try await EchoServer()
        let directory =
            NSTemporaryDirectory() + "flowtap-replay-ui-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = directory + "/r"
        // What the echo server answers, and what it does not.
        try Self.writeCapture("\(base)-same.pcapng", request: "hello\r\n", answers: ["hello\r\n", "BYE\r\n"])
        try Self.writeCapture(
            "\(base)-other.pcapng", request: "hello\r\n", answers: ["+PONG\r\n", "BYE\r\n"])
        for (name, status) in [("same", Int32(0)), ("other", 1)] {
            let tmux = try await TmuxDriver(
                command: [Self.binary, "replay", "\(base)-\(name).pcapng", "tcp:127.0.0.1:\(server.port)"],
                width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
            defer { tmux.kill() }
            let screen = try await tmux.waitFor(status == 0 ? "answers match" : "answers differ at byte 0")
            let rows = screen.split(separator: "\n").map(String.init)
            #expect(rows[0].contains(" r-\(name).pcapng #1 replayed to tcp:127.0.0.1:\(server.port)"))
            #expect(rows.contains { $0.hasPrefix(" 1  127.0.0.1:40000") }, "the captured session is #1")
            #expect(rows.contains { $0.hasPrefix(">2  127.0.0.1:") }, "the replay is #2, selected")
            // The capture's answers above the replay's, at the same offsets: the replay got the
            // echo, then BYE after the FIN.
            let rowsOf = { (title: String) in rows.firstIndex { $0.hasPrefix(title) } }
            let above = try #require(rowsOf(" server → client  #1"))
            let below = try #require(rowsOf(" server → client  #2"))
            #expect(above < below)
            #expect(rows[below...].contains { $0.contains("|hello..|") } && screen.contains("|BYE..|"))
            #expect(rows[above..<below].contains { $0.contains(status == 0 ? "|hello..|" : "|+PONG..|") })
            // Up shows the captured session in the same panes.
            try await tmux.sendKeys("Up")
            let captured = try await tmux.waitFor("server → client  #1")
            #expect(captured.contains(status == 0 ? "|hello..|" : "|+PONG..|"))
            if status == 1 {
                // n shows the first difference: the replay's answer, focused, scrolled to it.
                try await tmux.sendKeys("n")
                let marked = try await tmux.waitFor("the marked byte: s2c offset 0 of #2")
                #expect(marked.contains(" server → client  #2") && marked.contains("|hello..|"))
            }
            try await tmux.sendKeys("q")
            #expect(try await tmux.waitForExit() == status)
            let after = try await tmux.capture(history: true)
            #expect(after.contains(status == 0 ? "answers match" : "first difference at byte 0"))
        }
        await server.listener.close()
    }
}

/// The next chunk of a flow, failing the test after 10 s instead of hanging.
func nextChunk(_ flow: SocketFlow, sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> ByteBuffer
{
    let result = try await withThrowingTaskGroup(of: ReadResult?.self) { group in
        group.addTask { try await flow.read() }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
    guard case .data(let chunk)? = result else {
        Issue.record(
            "expected data, got \(result.map { "\($0)" } ?? "nothing within 10 s")",
            sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return chunk
}

/// Polls `condition` for up to 10 s.
func eventually(sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition never held", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// `tshark -q -z follow,tcp,raw,0` output (hex, the server's lines indented by a tab).
func tsharkFollow(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
    let result = try await ChildProcess.run("/usr/bin/tshark", ["-r", path, "-q", "-z", "follow,tcp,raw,0"])
    #expect(result.status == 0, "tshark: \(result.err)", sourceLocation: sourceLocation)
    return result.out
}

/// The comments of a capture, one per packet that has one (`tshark -Y frame.comment`).
func tsharkComments(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> [String]
{
    let result = try await ChildProcess.run(
        "/usr/bin/tshark", ["-r", path, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"])
    #expect(result.status == 0, "tshark: \(result.err)", sourceLocation: sourceLocation)
    return result.out.split(separator: "\n").map(String.init)
}

/// SHA-256 in hex, from the system's `sha256sum`, as an independent check of flowtap's own.
enum SHA256Hex {
    static func of(_ text: String) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
            .path
        defer { unlink(file) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let result = try await ChildProcess.run("/usr/bin/sha256sum", [file])
        #expect(result.status == 0, "sha256sum: \(result.err)")
        return String(result.out.prefix(64))
    }
}

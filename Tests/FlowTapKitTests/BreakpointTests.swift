import FlowCore
import FlowEvents
import FlowTapKit
import FlowTransport
import NIOCore
import Synchronization
import Testing

/// Breakpoints in the engine (issue 13): an ``Inspector`` between a loopback client and an echo
/// server, its ``SessionController`` driven as the UI drives it.
@Suite("Breakpoints: a matching message is held whole, named, as a pause would hold it")
struct BreakpointTests {
    /// An echo server on loopback (every chunk written back, the FIN passed on), an inspector
    /// in front of it with `options`, and one connected client.
    struct Harness {
        let events = EventCollector()
        let echo: Listener
        let serving: Task<Void, Never>
        let inspector: Inspector
        let running: Task<Void, Never>
        let client: SocketFlow

        init(_ options: Inspector.Options) async throws {
            echo = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
            let echo = echo
            serving = Task {
                await withDiscardingTaskGroup { group in
                    while let connection = try? await echo.accept() {
                        group.addTask {
                            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                                do { try await connection.write(chunk) } catch { break }
                            }
                            await connection.shutdownWrite()
                            await connection.close(waitingAtMost: .seconds(2))
                        }
                    }
                }
            }
            inspector = try await Inspector.bind(
                listen: .tcpListen(host: "127.0.0.1", port: 0),
                target: .tcp(host: "127.0.0.1", port: echo.localSocketAddress?.port ?? 0), options: options,
                observers: [events])
            let inspector = inspector
            running = Task { await inspector.run() }
            client = try await Connector.connect(
                .tcp(host: "127.0.0.1", port: Int(inspector.listenAddress.split(separator: ":").last!)!))
        }

        /// Reads from the client until `count` bytes came back (an issue after 10 s: a hold
        /// that never ends must fail the test, not hang it).
        func echoed(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let client = client
            let back = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    var back: [UInt8] = []
                    while back.count < count, case .data(let chunk) = try await client.read() {
                        back += chunk.readableBytesView
                    }
                    return back
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let back else {
                Issue.record("nothing came back within 10 s", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            return String(decoding: back, as: UTF8.self)
        }

        func finish() async {
            await client.shutdownWrite()
            _ = try? await client.read()
            await client.close(waitingAtMost: .seconds(2))
            await inspector.stop()
            await running.value
            await echo.close()
            serving.cancel()
        }

        /// `pause`, the holds (with their breakpoint) and `message` summaries of c2s, in order.
        var c2sStory: [String] {
            events.all.compactMap { event in
                switch event.kind {
                case .pause(.c2s): "pause"
                case .held(.c2s, let chunk?): "held \(chunk.bytes.readableBytes) \(chunk.breakpoint ?? "-")"
                case .message(.c2s, let message): "message \(message.summary)"
                case .step(.c2s): "step"
                default: nil
                }
            }
        }
    }

    static let set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"

    @Test(
        "a SET in two pieces is gathered, held whole with the breakpoint's name after a pause; step sends it")
    func messageBreakpoint() async throws {
        var options = Inspector.Options()
        options.breakpoints = [try Breakpoint(parsing: "c2s:^SET")]
        let h = try await Harness(options)
        try await h.client.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
        #expect(try await h.echoed(14) == "*1\r\n$4\r\nPING\r\n")
        try await h.client.write(ByteBuffer(string: String(Self.set.prefix(10))))
        try await Task.sleep(for: .milliseconds(50))
        try await h.client.write(ByteBuffer(string: String(Self.set.dropFirst(10))))
        let control = h.inspector.control
        try await waitUntil { control.held(session: 1, direction: .c2s) != nil }
        let held = try #require(control.held(session: 1, direction: .c2s))
        #expect(String(buffer: held.bytes) == Self.set)
        #expect(held.breakpoint == "c2s:^SET")
        control.step(session: 1, direction: .c2s)
        #expect(try await h.echoed(27) == Self.set)
        await h.finish()
        #expect(h.c2sStory == ["message PING", "pause", "held 27 c2s:^SET", "step", "message SET k v"])
    }

    @Test(
        "undecoded (--decode none), a chunk whose escaped text matches is held; a breakpoint added later acts"
    )
    func textBreakpoint() async throws {
        var options = Inspector.Options()
        options.decode = .none
        let h = try await Harness(options)
        try await h.client.write(ByteBuffer(string: "PING\r\n"))
        #expect(try await h.echoed(6) == "PING\r\n")
        // Added while the session runs (as `b` in the UI does); matched against the text the UI
        // shows: CR LF as \r\n. (Without `c2s:` it would hold the echo too.)
        h.inspector.control.breakpoints.toggle(try Breakpoint(parsing: #"c2s:QUIT\\r\\n$"#))
        try await h.client.write(ByteBuffer(string: "QUIT\r\n"))
        let control = h.inspector.control
        try await waitUntil { control.held(session: 1, direction: .c2s) != nil }
        #expect(control.held(session: 1, direction: .c2s)?.breakpoint == #"c2s:QUIT\\r\\n$"#)
        control.resume(session: 1, direction: .c2s)
        #expect(try await h.echoed(6) == "QUIT\r\n")
        await h.finish()
        #expect(h.c2sStory == ["pause", "held 6 c2s:QUIT\\\\r\\\\n$"])
        #expect(h.events.all.contains { $0.kind == .decoder("none") })
        #expect(!h.events.all.contains { if case .message = $0.kind { true } else { false } })
    }
}

import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import NIOCore
import Synchronization

/// `flowtap demo`: a built-in target and a scripted client that show every state of the
/// inspector with one command — text and binary exchanges, a half-close in each order (with an
/// answer arriving after the client's FIN), a reset in the middle of a transfer, a refused
/// connect, pausing and stepping, the user's edits (an edited, a dropped and an injected chunk),
/// and a breakpoint that holds one decoded message while the others flow.
///
/// Everything listens on 127.0.0.1 with free ports. The target serves scenario N to its Nth
/// connection; ``runScript(pauseBetween:)`` opens the connections one after the other.
public final class Demo: Sendable {
    /// The inspector in front of the demo target.
    public let inspector: Inspector
    private let targetPort: Int
    private let server = Mutex<Listener?>(nil)
    private let serving = Mutex<Task<Void, Never>?>(nil)
    private let connections = Mutex(0)

    /// The scenarios, in the order the script runs them.
    public static let scenarios = [
        "text request and answer (RESP PING)",
        "binary: all 256 byte values, echoed",
        "client FIN first, the answer comes 1 s later",
        "server FIN first (a banner), the client goes on sending",
        "the server resets in the middle of a transfer (how much gets through first varies by run)",
        "refused connect (the target is down)",
        "intercept: a paused direction holds a chunk, then steps",
        "intercept edits: a held request is edited, another dropped, and bytes injected",
        "breakpoint c2s:^DEL: GET flows, the DEL message is held, then stepped",
    ]

    /// The breakpoint the last scenario sets (it stays set, shown in the UI's title).
    public static let breakpoint = "c2s:^DEL"

    private init(inspector: Inspector, targetPort: Int) {
        self.inspector = inspector
        self.targetPort = targetPort
    }

    /// Starts the demo target and an inspector in front of it, reporting to `observers`.
    /// - Throws: ``TransportError`` when loopback cannot be listened on.
    public static func start(observers: [any InspectorObserver]) async throws(TransportError) -> Demo {
        let listener = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
        let port = listener.localSocketAddress?.port ?? 0
        let inspector = try await Inspector.bind(
            listen: .tcpListen(host: "127.0.0.1", port: 0), target: .tcp(host: "127.0.0.1", port: port),
            observers: observers)
        let demo = Demo(inspector: inspector, targetPort: port)
        demo.serve(listener)
        return demo
    }

    /// Runs the inspector's accept loop in the background.
    public func runInspector() -> Task<Void, Never> {
        Task { await inspector.run() }
    }

    /// Plays every scenario once, waiting `pauseBetween` between them; `narrate` hears each
    /// scenario's line (`demo 3/8: client FIN first, …`) just before it plays.
    public func runScript(
        pauseBetween: Duration = .milliseconds(600), narrate: @Sendable (String) -> Void = { _ in }
    ) async {
        let loop = runInspector()
        guard let listen = try? Address.parse("tcp:" + inspector.listenAddress) else { return }
        for (index, scenario) in Self.scenarios.enumerated() {
            narrate("demo \(index + 1)/\(Self.scenarios.count): \(scenario)")
            await play(index, via: listen)
            try? await Task.sleep(for: pauseBetween)
        }
        _ = loop
    }

    /// Stops the inspector (ends sessions) and the demo target.
    public func stop() async {
        await inspector.stop()
        let listener = server.withLock { $0 }
        await listener?.close()
        serving.withLock { $0 }?.cancel()
    }

    // MARK: The scripted client

    private func play(_ index: Int, via listen: Address) async {
        if index == 5 {
            // Take the target down for one connection: the inspector reports connect_error.
            let listener = server.withLock { s in
                defer { s = nil }
                return s
            }
            await listener?.close()
            if let client = try? await Connector.connect(listen) {
                _ = try? await client.read()  // end-of-file once the inspector gives up
                await client.close(waitingAtMost: .seconds(1))
            }
            if let listener = try? await Listener.bind(.tcpListen(host: "127.0.0.1", port: targetPort)) {
                connections.withLock { $0 += 1 }  // the refused one counted as scenario 5
                serve(listener)
            }
            return
        }
        guard let client = try? await Connector.connect(listen) else { return }
        switch index {
        case 0:
            try? await client.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
            _ = try? await client.read()
            try? await client.write(ByteBuffer(string: "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\n"))
            _ = try? await client.read()
            await client.shutdownWrite()
        case 1:
            try? await client.write(ByteBuffer(bytes: (0...255).map { UInt8($0) }))
            try? await client.write(ByteBuffer(bytes: [0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x00, 0xff, 0xfe]))
            await client.shutdownWrite()
        case 2:
            try? await client.write(ByteBuffer(string: "GET /slow HTTP/1.0\r\nHost: demo\r\n\r\n"))
            await client.shutdownWrite()
        case 3:
            for line in ["HELO demo\r\n", "MAIL FROM:<a@demo>\r\n", "QUIT\r\n"] {
                try? await client.write(ByteBuffer(string: line))
                try? await Task.sleep(for: .milliseconds(150))
            }
            await client.shutdownWrite()
        case 4:
            try? await client.write(ByteBuffer(string: "UPLOAD 1048576\r\n"))
            let block = ByteBuffer(repeating: UInt8(ascii: "u"), count: 16 * 1024)
            for _ in 0..<64 {
                do { try await client.write(block) } catch { break }
            }
        case 8:
            // A breakpoint: the RESP decoder cuts messages; only the DEL is held.
            if let breakpoint = try? Breakpoint(parsing: Self.breakpoint) {
                inspector.control.breakpoints.add(breakpoint)
            }
            // Sessions are numbered in the scenarios' order (the refused one included).
            let session = index + 1
            try? await client.write(ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$5\r\ncolor\r\n"))
            _ = try? await client.read()
            try? await client.write(ByteBuffer(string: "*2\r\n$3\r\nDEL\r\n$5\r\ncolor\r\n"))
            if await heldChunk(session) != nil {
                try? await Task.sleep(for: .milliseconds(900))
                inspector.control.step(session: session, direction: .c2s)
            }
            // Never left held, even if the hold was not seen in time.
            inspector.control.resume(session: session, direction: .c2s)
            _ = try? await client.read()
            await client.shutdownWrite()
        case 7:
            // Intercept edits, as the user would make them with e, d and i.
            try? await Task.sleep(for: .milliseconds(150))
            let session = inspector.control.currentSessionCount
            inspector.control.pause(session: session, direction: .c2s)
            try? await client.write(ByteBuffer(string: "SET color red\r\n"))
            if let held = await heldChunk(session) {
                try? await Task.sleep(for: .milliseconds(600))
                inspector.control.replaceHeld(
                    session: session, direction: .c2s, hold: held.number,
                    with: ByteBuffer(string: "SET color blue\r\n"))
            }
            try? await client.write(ByteBuffer(string: "DEBUG secret-token\r\n"))
            if let held = await heldChunk(session) {
                try? await Task.sleep(for: .milliseconds(600))
                inspector.control.dropHeld(session: session, direction: .c2s, hold: held.number)
            }
            inspector.control.inject(session: session, direction: .c2s, ByteBuffer(string: "PING\r\n")) { _ in
            }
            try? await Task.sleep(for: .milliseconds(300))
            inspector.control.resume(session: session, direction: .c2s)
            await client.shutdownWrite()
        default:
            // Intercept: the client's request is held until stepped.
            try? await Task.sleep(for: .milliseconds(150))
            let session = inspector.control.currentSessionCount
            inspector.control.pause(session: session, direction: .c2s)
            try? await client.write(ByteBuffer(string: "HELD REQUEST\r\n"))
            try? await Task.sleep(for: .milliseconds(900))
            inspector.control.step(session: session, direction: .c2s)
            inspector.control.resume(session: session, direction: .c2s)
            await client.shutdownWrite()
        }
        // Read whatever comes back, then close.
        while case .data = (try? await client.read()) ?? .eof {}
        await client.close(waitingAtMost: .seconds(2))
    }

    /// The chunk c2s of `session` holds, once it holds one (within 2 s).
    private func heldChunk(_ session: Int) async -> HeldChunk? {
        for _ in 0..<200 {
            if let held = inspector.control.held(session: session, direction: .c2s) { return held }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    // MARK: The target

    private func serve(_ listener: Listener) {
        server.withLock { $0 = listener }
        let loop = AcceptLoop(listener: listener, limit: inspector.sessionLimit) { self.inspector.emit($0) }
        let task = Task {
            await loop.run(in: SessionRegistry<Never>()) { connection, _ in
                let number = self.connections.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                await Self.answer(connection, scenario: number)
            }
        }
        serving.withLock { $0 = task }
    }

    private static func answer(_ connection: SocketFlow, scenario: Int) async {
        switch scenario {
        case 0:
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                let reply = String(buffer: chunk).contains("PING") ? "+PONG\r\n" : "+OK\r\n"
                try? await connection.write(ByteBuffer(string: reply))
            }
        case 8:
            // GET answers a bulk string, DEL the number of keys removed.
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                let reply = String(buffer: chunk).contains("GET") ? "$4\r\nblue\r\n" : ":1\r\n"
                try? await connection.write(ByteBuffer(string: reply))
            }
        case 1:
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                try? await connection.write(chunk)
            }
        case 2:
            while case .data = (try? await connection.read()) ?? .eof {}
            try? await Task.sleep(for: .seconds(1))
            try? await connection.write(
                ByteBuffer(string: "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nslow answer\n"))
        case 3:
            try? await connection.write(
                ByteBuffer(string: "220 demo.flowtap ESMTP ready, and closing my side\r\n"))
            await connection.shutdownWrite()
            while case .data = (try? await connection.read()) ?? .eof {}
        case 4:
            var received = 0
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                received += chunk.readableBytes
                if received > 256 * 1024 {
                    await connection.reset()
                    return
                }
            }
        default:
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                try? await connection.write(ByteBuffer(string: "+OK got \(chunk.readableBytes) bytes\r\n"))
            }
        }
        await connection.shutdownWrite()
        await connection.close(waitingAtMost: .seconds(2))
    }
}

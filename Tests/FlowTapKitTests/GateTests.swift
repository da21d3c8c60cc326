import FlowCapture
import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import NIOCore
import Synchronization
import Testing

/// Collects events for assertions.
final class EventCollector: InspectorObserver {
    private let events = Mutex<[SessionEvent]>([])
    func record(_ event: SessionEvent) { events.withLock { $0.append(event) } }
    var all: [SessionEvent] { events.withLock { $0 } }

    var names: [String] {
        all.compactMap { event in
            switch event.kind {
            case .data(let d, _, _): "data \(d)"
            case .eof(let d): "eof \(d)"
            case .shutdown(let d): "shutdown \(d)"
            case .pause(let d): "pause \(d)"
            case .resume(let d): "resume \(d)"
            case .step(let d): "step \(d)"
            case .held(let d, let chunk):
                chunk.map { "held \(d) \($0.bytes.readableBytes)" } ?? "released \(d)"
            case .edit(let d, let original, _, let bytes, _): "edit \(d) \(original)->\(bytes)"
            case .drop(let d, let bytes, _, _): "drop \(d) \(bytes)"
            case .inject(let d, let bytes): "inject \(d) \(bytes)"
            case .readError(let d, _): "read_error \(d)"
            case .writeError(let d, _): "write_error \(d)"
            case .close: "close"
            default: nil
            }
        }
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

func waitUntil(_ condition: @Sendable () -> Bool, sourceLocation: SourceLocation = #_sourceLocation)
    async throws
{
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("condition never held", sourceLocation: sourceLocation)
    throw CancellationError()
}

@Suite("Gate and Session: pause, step, resume without losing a byte")
struct GateTests {
    @Test("a paused direction reads one chunk, holds it, and the peer does not get it until a step")
    func holdAndStep() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1) { events.record($0) }
        let running = Task { await session.run(client: clientSide, server: serverSide) }
        session.pause(.c2s)
        try await client.write(ByteBuffer(string: "first"))
        try await client.write(ByteBuffer(string: "second"))
        try await waitUntil { events.names.contains("held c2s 5") }
        // Held: read from the client, not delivered (no data event yet). The second chunk is not
        // read at all.
        #expect(session.held(.c2s).map { String(buffer: $0.bytes) } == "first")
        #expect(!events.names.contains("data c2s"))
        session.step(.c2s)
        #expect(String(buffer: try await nextChunk(server)) == "first")
        try await waitUntil { events.names.contains("held c2s 6") }
        session.resume(.c2s)
        #expect(String(buffer: try await nextChunk(server)) == "second")
        await client.shutdownWrite()
        await server.shutdownWrite()
        _ = await running.value
        // Each direction's events in exact order; the two directions interleave as they happen.
        #expect(
            events.names.filter { $0.hasSuffix("c2s") || $0.contains("c2s ") } == [
                "pause c2s", "held c2s 5", "step c2s", "released c2s", "data c2s", "held c2s 6",
                "resume c2s", "released c2s", "data c2s", "eof c2s", "shutdown c2s",
            ])
        #expect(events.names.filter { $0.contains("s2c") } == ["eof s2c", "shutdown s2c"])
        #expect(events.names.last == "close")
    }

    @Test("a step with nothing held lets exactly the next chunk through")
    func stepAhead() async throws {
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let events = EventCollector()
        let session = Session(id: 1, paused: true) { events.record($0) }
        let running = Task { await session.run(client: clientSide, server: serverSide) }
        session.step(.c2s)
        try await client.write(ByteBuffer(string: "one"))
        #expect(String(buffer: try await nextChunk(server)) == "one")
        try await client.write(ByteBuffer(string: "two"))
        try await waitUntil { events.names.contains("held c2s 3") }
        session.resume(.c2s)
        #expect(String(buffer: try await nextChunk(server)) == "two")
        await client.shutdownWrite()
        await server.shutdownWrite()
        _ = await running.value
    }

    @Test("random pause/step/resume interleavings under concurrent traffic stay byte-exact and in order")
    func randomInterleavings() async throws {
        for seed in 0..<40 {
            var rng = SplitMix64(seed: UInt64(seed))
            let chunks = (0..<Int.random(in: 20...120, using: &rng)).map { i in
                ByteBuffer(
                    bytes: (0..<Int.random(in: 1...3000, using: &rng)).map {
                        UInt8(truncatingIfNeeded: $0 &+ i)
                    })
            }
            let expected = chunks.flatMap { Array($0.readableBytesView) }
            let (client, clientSide) = Pipe.pair(capacity: 8192)
            let (serverSide, server) = Pipe.pair(capacity: 8192)
            let session = Session(id: seed) { _ in }
            let running = Task { await session.run(client: clientSide, server: serverSide) }
            let sender = Task {
                for chunk in chunks { try await client.write(chunk) }
                await client.shutdownWrite()
            }
            let receiver = Task { () -> [UInt8] in
                var got: [UInt8] = []
                while case .data(let chunk) = try await server.read() { got += chunk.readableBytesView }
                return got
            }
            // The controller flips the gate at random while bytes flow.
            for _ in 0..<Int.random(in: 5...40, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: session.pause(.c2s)
                case 1: session.step(.c2s)
                case 2: session.resume(.c2s)
                default: await Task.yield()
                }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...300, using: &rng)))
            }
            session.resume(.c2s)
            try await sender.value
            let got = try await receiver.value
            #expect(got == expected, "seed \(seed)")
            await server.shutdownWrite()
            _ = await running.value
        }
    }

    @Test("passFIN ends a direction: the held chunk goes on, then the FIN, while the other direction lives")
    func passFIN() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1) { events.record($0) }
        let running = Task { await session.run(client: clientSide, server: serverSide) }
        try await client.write(ByteBuffer(string: "request"))
        #expect(String(buffer: try await nextChunk(server)) == "request")
        await session.passFIN(.c2s)
        #expect(try await server.read() == .eof)
        try await server.write(ByteBuffer(string: "answer"))
        #expect(String(buffer: try await nextChunk(client)) == "answer")
        await server.shutdownWrite()
        #expect(try await client.read() == .eof)
        _ = await running.value
        #expect(events.names.contains("shutdown c2s"))
    }

    @Test("kill ends the session; the held chunk is released but never reaches the server")
    func kill() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1, paused: true) { events.record($0) }
        let running = Task {
            await session.run(client: clientSide, server: serverSide) {
                await clientSide.shutdownRead()
                await serverSide.shutdownRead()
                await clientSide.shutdownWrite()
                await serverSide.shutdownWrite()
            }
        }
        try await client.write(ByteBuffer(string: "held"))
        try await waitUntil { events.names.contains("held c2s 4") }
        await session.kill()
        // The session ends by itself once killed (bounded, so a kill that fails is a failure,
        // not a hang: then both peers end it).
        let ended = Flag()
        Task {
            _ = await running.value
            ended.set()
        }
        do { try await waitUntil { ended.isSet } } catch {
            await client.shutdownWrite()
            await server.shutdownWrite()
            _ = await running.value
        }
        // The server never gets the held bytes: its side was shut by the kill before the chunk
        // was let go, so it reads end-of-file and nothing else.
        var delivered: [UInt8] = []
        while case .data(let chunk) = try await server.read() { delivered += chunk.readableBytesView }
        #expect(delivered.isEmpty, "the server got \(delivered.count) bytes of a killed session")
        // The hold ended (released), its write failed, and close counts it as read, not written.
        let afterHold = events.names.drop { $0 != "held c2s 4" }.filter { $0.contains("c2s") }
        #expect(afterHold.contains("released c2s"), "\(afterHold)")
        #expect(afterHold.contains("write_error c2s"), "\(afterHold)")
        #expect(session.held(.c2s) == nil)
        guard case .close(let c2s, _)? = events.all.last?.kind else {
            Issue.record("the last event is not close: \(events.names)")
            return
        }
        #expect(c2s.readBytes == 4 && c2s.writeBytes == 0, "\(c2s)")
    }
}

func nextChunk(_ flow: some Flow) async throws -> ByteBuffer {
    guard case .data(let chunk) = try await flow.read() else {
        Issue.record("expected data, got end-of-file")
        return ByteBuffer()
    }
    return chunk
}

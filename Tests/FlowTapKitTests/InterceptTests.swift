import Crypto
import FlowCapture
import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import Foundation
import NIOCore
import Synchronization
import Testing

@Suite("Intercept: edit, drop and inject held chunks through the one core proxy")
struct InterceptTests {
    /// A session between two pipes, paused in c2s, with its events collected.
    struct Harness {
        let events = EventCollector()
        let client: PipeFlow
        let server: PipeFlow
        let session: Session
        let running: Task<(c2s: Stats, s2c: Stats), Never>

        init(paused: Bool = true) {
            let (client, clientSide) = Pipe.pair()
            let (serverSide, server) = Pipe.pair()
            let events = events
            let session = Session(id: 1) { events.record($0) }
            if paused { session.pause(.c2s) }
            self.client = client
            self.server = server
            self.session = session
            running = Task { await session.run(client: clientSide, server: serverSide) }
        }

        /// Waits until c2s holds `text` and returns the hold's number.
        func held(_ text: String) async throws -> Int {
            let session = session
            try await waitUntil { session.held(.c2s).map { String(buffer: $0.bytes) } == text }
            return session.held(.c2s)!.number
        }

        func finish() async {
            await client.shutdownWrite()
            await server.shutdownWrite()
            _ = await running.value
        }

        /// The c2s data events: offsets and text, in order.
        var sent: [(Int, String)] {
            events.all.compactMap {
                guard case .data(.c2s, let offset, let bytes) = $0.kind else { return nil }
                return (offset, String(buffer: bytes))
            }
        }
    }

    @Test("an edited held chunk reaches the peer as edited; the edit event names the original")
    func edit() async throws {
        let h = Harness()
        try await h.client.write(ByteBuffer(string: "GET /old"))
        let hold = try await h.held("GET /old")
        #expect(h.session.replace(.c2s, hold: hold, with: ByteBuffer(string: "GET /new!")))
        #expect(String(buffer: try await nextChunk(h.server)) == "GET /new!")
        // Still paused: the next chunk is held, and the stale hold number does nothing.
        try await h.client.write(ByteBuffer(string: "tail"))
        let next = try await h.held("tail")
        #expect(next == hold + 1)
        #expect(!h.session.replace(.c2s, hold: hold, with: ByteBuffer(string: "X")))
        #expect(!h.session.drop(.c2s, hold: hold))
        h.session.step(.c2s)
        #expect(String(buffer: try await nextChunk(h.server)) == "tail")
        await h.finish()
        let edits = h.events.all.compactMap { event -> (Int, String, Int, String?)? in
            guard case .edit(.c2s, let n, let digest, let bytes, let original) = event.kind else {
                return nil
            }
            return (n, digest, bytes, original.map { String(buffer: $0) })
        }
        #expect(edits.count == 1)
        #expect(edits.first?.0 == 8 && edits.first?.2 == 9 && edits.first?.3 == "GET /old")
        #expect(edits.first?.1 == SHA256.hex(Array("GET /old".utf8)))
        #expect(h.sent.map(\.0) == [0, 9] && h.sent.map(\.1) == ["GET /new!", "tail"])
        // The edit comes right before the data of the bytes sent in its place.
        let names = h.events.names.filter { $0.contains("c2s") }
        let at = names.firstIndex(of: "edit c2s 8->9")!
        #expect(names[at + 1] == "data c2s")
    }

    @Test("a dropped held chunk never arrives; the next chunk is held in its place")
    func drop() async throws {
        let h = Harness()
        try await h.client.write(ByteBuffer(string: "junk"))
        let hold = try await h.held("junk")
        try await h.client.write(ByteBuffer(string: "keep"))
        #expect(h.session.drop(.c2s, hold: hold))
        _ = try await h.held("keep")
        h.session.resume(.c2s)
        #expect(String(buffer: try await nextChunk(h.server)) == "keep")
        await h.finish()
        #expect(h.sent.map(\.1) == ["keep"] && h.sent.map(\.0) == [0])
        #expect(h.events.names.contains("drop c2s 4"))
    }

    @Test("a drop is reported when the user drops: bytes injected right after are reported after it")
    func dropThenInject() async throws {
        for round in 0..<20 {
            let h = Harness()
            try await h.client.write(ByteBuffer(string: "junk"))
            let hold = try await h.held("junk")
            #expect(h.session.drop(.c2s, hold: hold))
            #expect(await h.session.inject(.c2s, ByteBuffer(string: "INJ")) == nil)
            #expect(String(buffer: try await nextChunk(h.server)) == "INJ")
            await h.finish()
            let names = h.events.names.filter { $0.hasPrefix("drop") || $0.hasPrefix("inject") }
            #expect(names == ["drop c2s 4", "inject c2s 3"], "round \(round)")
        }
    }

    @Test("bytes injected while a chunk is held arrive before it; offsets follow the wire")
    func injectBeforeHeld() async throws {
        let h = Harness()
        try await h.client.write(ByteBuffer(string: "held"))
        _ = try await h.held("held")
        #expect(await h.session.inject(.c2s, ByteBuffer(string: "INJ")) == nil)
        #expect(String(buffer: try await nextChunk(h.server)) == "INJ")
        h.session.step(.c2s)
        #expect(String(buffer: try await nextChunk(h.server)) == "held")
        await h.finish()
        #expect(h.sent.map(\.0) == [0, 3] && h.sent.map(\.1) == ["INJ", "held"])
        let names = h.events.names.filter { $0.contains("c2s") }
        #expect(names[names.firstIndex(of: "inject c2s 3")! + 1] == "data c2s")
    }

    @Test("bytes injected into an idle, open direction arrive at once; a shut direction refuses them")
    func injectIdleAndShut() async throws {
        let h = Harness(paused: false)
        // Once the session runs (a first exchange), nothing moves: the direction is idle.
        try await h.server.write(ByteBuffer(string: "banner"))
        #expect(String(buffer: try await nextChunk(h.client)) == "banner")
        #expect(await h.session.inject(.s2c, ByteBuffer(string: "hello client")) == nil)
        #expect(String(buffer: try await nextChunk(h.client)) == "hello client")
        await h.server.shutdownWrite()
        #expect(try await h.client.read() == .eof)
        let refusal = await h.session.inject(.s2c, ByteBuffer(string: "late"))
        #expect(refusal == "s2c is shut (its FIN was passed on)")
        await h.client.shutdownWrite()
        _ = await h.running.value
        #expect(await h.session.inject(.c2s, ByteBuffer(string: "x")) == "session #1 is not running")
    }

    @Test("seeded: random edits, drops, injects and steps; the peer gets exactly the data events, in order")
    func randomIntercepts() async throws {
        for seed in 0..<25 {
            var rng = SplitMix64(seed: UInt64(seed) &+ 77)
            let h = Harness()
            let count = Int.random(in: 10...40, using: &rng)
            let chunks = (0..<count).map { i in
                ByteBuffer(
                    bytes: (0..<Int.random(in: 1...200, using: &rng)).map {
                        UInt8(truncatingIfNeeded: $0 &* 7 &+ i)
                    })
            }
            let sender = Task {
                for chunk in chunks { try await h.client.write(chunk) }
                await h.client.shutdownWrite()
            }
            let receiver = Task { () -> [UInt8] in
                var got: [UInt8] = []
                while case .data(let chunk) = try await h.server.read() { got += chunk.readableBytesView }
                return got
            }
            var injected = 0
            for _ in 0..<Int.random(in: 20...60, using: &rng) {
                let held = h.session.held(.c2s)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: h.session.step(.c2s)
                case 1:
                    if let held {
                        let edited = ByteBuffer(bytes: Array(held.bytes.readableBytesView) + [0x21])
                        h.session.replace(.c2s, hold: held.number, with: edited)
                    }
                case 2: if let held { h.session.drop(.c2s, hold: held.number) }
                case 3:
                    injected += 1
                    _ = await h.session.inject(.c2s, ByteBuffer(string: "<inject \(injected)>"))
                case 4: h.session.pause(.c2s)
                default: h.session.resume(.c2s)
                }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...400, using: &rng)))
            }
            h.session.resume(.c2s)
            try await sender.value
            let got = try await receiver.value
            await h.server.shutdownWrite()
            _ = await h.running.value
            let data = h.events.all.compactMap { event -> (Int, [UInt8])? in
                guard case .data(.c2s, let offset, let bytes) = event.kind else { return nil }
                return (offset, Array(bytes.readableBytesView))
            }
            #expect(got == data.flatMap(\.1), "seed \(seed): the wire differs from the data events")
            var next = 0
            for (offset, bytes) in data {
                #expect(offset == next, "seed \(seed)")
                next += bytes.count
            }
            // Every chunk the client sent is accounted for, in order: forwarded, edited or dropped.
            var originals: [[UInt8]] = []
            var skipNext = false  // the data of an edit or an inject is not a chunk as read
            for event in h.events.all {
                switch event.kind {
                case .edit(.c2s, _, _, _, let original?):
                    originals.append(Array(original.readableBytesView))
                    skipNext = true
                case .drop(.c2s, _, _, let original?): originals.append(Array(original.readableBytesView))
                case .inject(.c2s, _): skipNext = true
                case .data(.c2s, _, let bytes):
                    if skipNext { skipNext = false } else { originals.append(Array(bytes.readableBytesView)) }
                default: break
                }
            }
            #expect(originals == chunks.map { Array($0.readableBytesView) }, "seed \(seed)")
        }
    }
}

@Suite("Intercept in captures: what was sent, with a note per change, read back by view")
struct InterceptCaptureTests {
    @Test("a live session with an edit, a drop and an inject writes exactly the bytes sent; view marks them")
    func captureRoundTrip() async throws {
        let path =
            NSTemporaryDirectory()
            + "flowtap-intercept-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcapng"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let observer = CaptureObserver(writer: try CaptureWriter(path: path)) { error in
            Issue.record("capture failed: \(error)")
        }
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        observer.record(
            SessionEvent(
                conn: 1,
                .open(client: .ip(host: "127.0.0.1", port: 1000), target: .ip(host: "127.0.0.1", port: 2000)))
        )
        let session = Session(id: 1, paused: true) { observer.record($0) }
        let running = Task { await session.run(client: clientSide, server: serverSide) }
        try await client.write(ByteBuffer(string: "old"))
        try await waitUntil { session.held(.c2s) != nil }
        session.replace(.c2s, hold: session.held(.c2s)!.number, with: ByteBuffer(string: "new!"))
        try await client.write(ByteBuffer(string: "secret"))
        try await waitUntil { session.held(.c2s).map { String(buffer: $0.bytes) } == "secret" }
        session.drop(.c2s, hold: session.held(.c2s)!.number)
        #expect(await session.inject(.c2s, ByteBuffer(string: "typed")) == nil)
        session.resume(.c2s)
        session.resume(.s2c)
        await client.shutdownWrite()
        var got: [UInt8] = []
        while case .data(let chunk) = try await server.read() { got += chunk.readableBytesView }
        #expect(String(decoding: got, as: UTF8.self) == "new!typed")
        await server.shutdownWrite()
        _ = await running.value
        observer.close()

        let sessions = try CaptureReader.read(path: path)
        let events = try #require(sessions.first).events
        let sent = events.compactMap { event -> String? in
            guard case .data(.c2s, _, let bytes) = event.kind else { return nil }
            return String(buffer: bytes)
        }
        #expect(sent == ["new!", "typed"], "the capture holds what was sent, chunk by chunk")
        // The changes come back as the events themselves, originals included, in wire order.
        let changes = events.compactMap { event -> SessionEvent.Kind? in
            switch event.kind {
            case .edit, .drop, .inject: event.kind
            default: nil
            }
        }
        #expect(
            changes == [
                .edit(
                    .c2s, originalBytes: 3, originalSHA256: SHA256.hex(Array("old".utf8)), bytes: 4,
                    original: ByteBuffer(string: "old")),
                .drop(
                    .c2s, bytes: 6, sha256: SHA256.hex(Array("secret".utf8)),
                    original: ByteBuffer(string: "secret")),
                .inject(.c2s, bytes: 5),
            ])
        // view: the chunks are marked, the dropped and replaced originals kept.
        let snapshot = InspectorSnapshot.from(sessions: sessions, name: path)
        let history = try #require(snapshot.sessions.first).c2s.history
        #expect(history.map(\.kind) == [.replaced, .edited, .dropped, .injected])
        #expect(history.map { String(buffer: $0.bytes) } == ["old", "new!", "secret", "typed"])
    }
}

import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import Foundation
import NIOCore
import Testing

@Suite struct CaptureSnapshotTests {
    func temporaryPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "flowtap-ui-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func bytes(_ events: [SessionEvent], _ direction: Direction) -> [UInt8] {
        events.flatMap { event -> [UInt8] in
            if case .data(direction, _, let buffer) = event.kind { return Array(buffer.readableBytesView) }
            return []
        }
    }

    @Test func writeCaptureRoundTrip() throws {
        let model = Fixtures.redis()
        model.record(
            SessionEvent(
                conn: 3,
                .connectError(client: Fixtures.client1, target: Fixtures.target, error: "connection refused"),
                time: Fixtures.t0 + 10 * Fixtures.second))
        model.record(
            SessionEvent(
                conn: 1, .readError(.c2s, "connection reset by peer"),
                time: Fixtures.t0 + 11 * Fixtures.second))
        model.record(
            SessionEvent(
                conn: 1, .close(c2s: Stats(), s2c: Stats()), time: Fixtures.t0 + 12 * Fixtures.second)
        )
        let snapshot = model.snapshot()
        let path = temporaryPath("round.pcapng")
        try snapshot.writeCapture(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let sessions = try CaptureReader.read(path: path)
        #expect(sessions.map(\.id) == [1, 2, 3])
        let one = sessions[0]
        #expect(one.client == Fixtures.client1 && one.server == Fixtures.target)
        #expect(bytes(one.events, .c2s) == Array(repeating: UInt8(ascii: "a"), count: 1200))
        #expect(bytes(one.events, .s2c).count == 14_000)
        #expect(one.events.contains { $0.kind == .readError(.c2s, "connection reset by peer") })
        guard case .close = one.events.last?.kind else {
            Issue.record("the last event is \(String(describing: one.events.last))")
            return
        }
        let two = sessions[1].events
        #expect(bytes(two, .c2s) == Array("*1\r\n$4\r\nPING\r\nQUIT".utf8))
        // The held chunk was never delivered: the capture notes it and holds no byte of it.
        #expect(bytes(two, .s2c).isEmpty)
        #expect(two.contains { $0.kind == .note("s2c: paused, 7 bytes read and held, not delivered yet") })
        let events = two.map(\.kind).filter {
            if case .data = $0 { return false }
            return true
        }
        #expect(
            events == [
                .open(client: Fixtures.client2, target: Fixtures.target), .eof(.c2s), .shutdown(.c2s),
                .eof(.s2c),
                .note("s2c: paused, 7 bytes read and held, not delivered yet"),
            ])
        #expect(two.map(\.time) == two.map(\.time).sorted())
        #expect(two[1].time == Fixtures.t0 + 9_010_000_000)
        #expect(
            sessions[2].events.map(\.kind) == [
                .connectError(client: Fixtures.client1, target: Fixtures.target, error: "connection refused")
            ])
    }

    @Test func fromSessionsRebuildsTheSnapshot() throws {
        let original = Fixtures.redis().snapshot()
        let path = temporaryPath("view.pcapng")
        try original.writeCapture(to: path)
        let loaded = InspectorSnapshot.from(sessions: try CaptureReader.read(path: path), name: "view.pcapng")
        #expect(loaded.target == "view.pcapng" && loaded.listenAddress == nil)
        #expect(loaded.sessions.map(\.id) == [1, 2])
        for (a, b) in zip(original.sessions, loaded.sessions) {
            #expect(a.client == b.client && a.target == b.target && a.opened == b.opened)
            for direction in Direction.allCases {
                #expect(a[direction].phase == b[direction].phase, "\(direction)")
                #expect(a[direction].bytes == b[direction].bytes)
                #expect(a[direction].chunks == b[direction].chunks)
                #expect(a[direction].history == b[direction].history)
            }
        }
        #expect(loaded.sessions[1].c2s.phase == .shut && loaded.sessions[1].s2c.phase == .eof)
    }

    @Test func fromSessionsWithoutOpenAndWithErrors() {
        let events = [
            SessionEvent(conn: 4, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "abc")), time: 5),
            SessionEvent(conn: 4, .data(.c2s, offset: 3, bytes: ByteBuffer(string: "de")), time: 6),
            SessionEvent(conn: 4, .writeError(.s2c, "broken pipe"), time: 7),
            SessionEvent(conn: 4, .pause(.c2s), time: 8),
            SessionEvent(conn: 4, .close(c2s: Stats(), s2c: Stats()), time: 9),
        ]
        let snapshot = InspectorSnapshot.from(
            sessions: [CapturedSession(id: 4, client: nil, server: .unix(path: "/tmp/s"), events: events)],
            name: "x")
        let session = snapshot.sessions[0]
        #expect(
            session.client == "?" && session.target == "/tmp/s" && session.opened == 5 && session.closed == 9)
        #expect(session.c2s.bytes == 5 && session.c2s.chunks == 2 && session.c2s.phase == .closed)
        #expect(session.c2s.history.map(\.offset) == [0, 3])
        #expect(session.s2c.phase == .writeError("broken pipe"))
    }

    @Test func unwritablePathIsACaptureError() {
        #expect {
            try Fixtures.redis().snapshot().writeCapture(to: "/nonexistent-dir/x.pcapng")
        } throws: { error in
            (error as? CaptureError)?.kind == .cannotCreate
        }
    }
}

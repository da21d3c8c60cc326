import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
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

    @Test func viewRebuildsTheSnapshotFromWhatWWrote() throws {
        let original = Fixtures.redis().snapshot()
        let archive = SessionArchive()
        for (session, ms, kind) in Fixtures.redisEvents {
            archive.record(SessionEvent(conn: session, kind, time: Fixtures.t0 + ms * 1_000_000))
        }
        let path = temporaryPath("view.pcapng")
        defer {
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        try archive.write(to: path, replacing: false)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
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
                #expect(a[direction].paused == b[direction].paused)
            }
        }
        #expect(loaded.sessions[1].c2s.phase == .shut && loaded.sessions[1].s2c.phase == .eof)
    }

    @Test func viewShowsTheMessagesOfACapture() throws {
        let archive = SessionArchive()
        for (session, ms, kind) in Fixtures.messageEvents {
            archive.record(SessionEvent(conn: session, kind, time: Fixtures.t0 + ms * 1_000_000))
        }
        let path = temporaryPath("messages.pcapng")
        defer {
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        try archive.write(to: path, replacing: false)
        let model = InspectorSnapshot.model(from: try CaptureReader.read(path: path), name: "messages.pcapng")
        let original = Fixtures.messages().snapshot().sessions[0]
        let loaded = model.snapshot().sessions[0]
        #expect(loaded.decoder == "resp")
        #expect(Array(loaded.messages) == Array(original.messages))
        #expect(loaded.c2s.messages == 2 && loaded.s2c.messages == 2)
        // The offline UI lists them as the live one does.
        var view = ViewState(ascii: false, live: false, now: Fixtures.t0)
        view.messages = MessageView()
        let (grid, _) = ScreenRenderer.render(model.snapshot(), view, width: 100, height: 30)
        let rows = GridAssertions.rows(grid)
        #expect(rows[0].hasPrefix(" flowtap view  messages.pcapng"))
        #expect(rows.contains { $0.hasPrefix(" messages  #1  decoder: resp  → 2  ← 2") })
        #expect(rows.contains { $0.hasPrefix(">←      1  $1 v") && $0.hasSuffix("150.0 ms !") }, "\(rows)")
        #expect(
            rows.contains {
                $0.hasPrefix(" ↑↓ message  v pairs  Enter bytes  m back") && !$0.contains("b break")
            })
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
            try SessionArchive().write(to: "/nonexistent-dir/x.pcapng", replacing: false)
        } throws: { error in
            (error as? CaptureError)?.kind == .cannotCreate
        }
    }
}

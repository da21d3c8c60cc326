import FlowEvents
import Foundation
import NIOCore
import Testing

@testable import FlowCapture

@Suite("Writer: file mode, failures, concurrency")
struct CaptureWriterTests {
    private static func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o7777
    }

    private static let record = SessionEvent(conn: 1, data(.c2s, ByteBuffer(string: "x")), time: 1)

    @Test("a new capture has mode 0600, and so does an existing 0644 file it replaces")
    func modeIs0600() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let fresh = directory.file("new.pcapng")
        try CaptureWriter(path: fresh).close()
        #expect(Self.mode(fresh) == 0o600)

        let existing = directory.file("old.pcapng")
        #expect(
            FileManager.default.createFile(atPath: existing, contents: Data(repeating: 65, count: 100_000)))
        #expect(chmod(existing, 0o644) == 0)
        let writer = try CaptureWriter(path: existing)
        #expect(Self.mode(existing) == 0o600)
        try writer.close()
        // The old contents are gone: the file is just a fresh, readable capture.
        #expect(try CaptureReader.read(path: existing) == [])
    }

    @Test("a capture in a missing directory fails at once, naming the path")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("gone/s.pcapng")
        directory.cleanup()
        let expected = CaptureError(
            .cannotCreate, path: path, reason: "no such file or directory", errno: ENOENT)
        #expect(throws: expected) { try CaptureWriter(path: path) }
        #expect(expected.description == "cannot create capture \(path): no such file or directory")
    }

    @Test("a full disk fails the write; the writer stays failed and closes quietly")
    func diskFull() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("full.pcapng")
        let writer = try CaptureWriter(path: path)
        try writer.write(Self.record)
        // Point the writer's descriptor at /dev/full: every write(2) now fails with ENOSPC.
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        writer.withDescriptor { _ = dup2(full, $0) }
        close(full)
        let expected = CaptureError(
            .cannotWrite, path: path, reason: "no space left on device", errno: ENOSPC)
        #expect(throws: expected) { try writer.write(Self.record) }
        #expect(throws: expected) { try writer.write(Self.record) }
        #expect(throws: expected) { try writer.flush() }
        #expect(expected.description == "cannot write capture \(path): no space left on device")
        try writer.close()
        try writer.close()
    }

    @Test("a device is refused at creation and its mode left alone")
    func deviceIsNotChmodded() throws {
        let before = Self.mode("/dev/full")
        #expect(
            throws: CaptureError(
                .cannotCreate, path: "/dev/full", reason: "not a regular file (a character device)")
        ) {
            try CaptureWriter(path: "/dev/full")
        }
        #expect(Self.mode("/dev/full") == before)
    }

    @Test("writes after close throw; close twice is fine")
    func writeAfterClose() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("closed.pcapng")
        let writer = try CaptureWriter(path: path)
        #expect(writer.path == path)
        try writer.close()
        try writer.close()
        #expect(throws: CaptureError(.closed, path: path, reason: "the capture is closed")) {
            try writer.write(Self.record)
        }
    }

    @Test("events of no session and held chunks write nothing; a batch writes what single writes do")
    func batchesAndSilentEvents() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Scenario.events(seed: 21, sessions: 4)
        let single = try writeCapture(events, to: directory.file("single.pcapng"))

        let path = directory.file("batch.pcapng")
        let writer = try CaptureWriter(path: path)
        let header = try Data(contentsOf: URL(fileURLWithPath: path)).count
        let silent = [
            SessionEvent(conn: nil, .listening(address: "127.0.0.1:8080"), time: 1),
            SessionEvent(conn: nil, .captureError("disk full"), time: 2),
            SessionEvent(conn: 1, .held(.c2s, HeldChunk(number: 1, bytes: ByteBuffer(string: "x"))), time: 3),
            SessionEvent(conn: 1, .held(.c2s, nil), time: 4),
        ]
        for event in silent { try writer.write(event) }
        try writer.write(silent)
        try writer.write([SessionEvent]())
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == header)
        var random = SeededRandom(seed: 22)
        var rest = events[...]
        while !rest.isEmpty {
            let count = 1 + Int(random.next() % 40)
            try writer.write(Array(rest.prefix(count)) + silent)
            rest = rest.dropFirst(count)
        }
        try writer.close()
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == single)
        #expect(try CaptureReader.read(path: path) == expectedSessions(events))
    }

    @Test("a batch larger than a write piece gives the file that single writes give")
    func batchLargerThanAPiece() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var random = SeededRandom(seed: 31)
        var events = [
            SessionEvent(
                conn: 1, .open(client: .ip(host: "127.0.0.1", port: 40_001), target: .unix(path: "/s")),
                time: 1)
        ]
        // Five pieces and a bit: chunks of up to 256 KiB, both directions.
        var total = 0
        var step: UInt64 = 2
        while total < 5 * CaptureWriter.pieceSize + 12_345 {
            let chunk = random.bytes(1 + Int(random.next() % (256 << 10)))
            total += chunk.count
            events.append(
                SessionEvent(conn: 1, data(step % 3 == 0 ? .s2c : .c2s, ByteBuffer(bytes: chunk)), time: step)
            )
            step += 1
        }
        events.append(SessionEvent(conn: 1, Scenario.closeKind(&random), time: step))
        let single = try writeCapture(events, to: directory.file("single.pcapng"))

        let path = directory.file("batch.pcapng")
        let writer = try CaptureWriter(path: path)
        try writer.write(events)
        try writer.close()
        let batch = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // Compared without printing megabytes on a failure: the lengths, then the first difference.
        #expect(batch.count == single.count)
        #expect(firstDifference(batch, single) == nil)
        #expect(try CaptureReader.read(path: path) == expectedSessions(events))
    }

    @Test("many sessions writing at once give whole, ordered sessions")
    func concurrentWriters() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("concurrent.pcapng")
        let writer = try CaptureWriter(path: path)
        let sessions = 16
        let all = try await withThrowingTaskGroup(of: [SessionEvent].self) { group in
            for id in 1...sessions {
                group.addTask {
                    var random = SeededRandom(seed: UInt64(id))
                    var events = [
                        SessionEvent(
                            conn: id,
                            .open(
                                client: .ip(host: "127.0.0.1", port: 30_000 + id), target: .unix(path: "/s")),
                            time: UInt64(id) << 20)
                    ]
                    for step in 1...30 {
                        let direction: Direction = step % 3 == 0 ? .s2c : .c2s
                        let chunk = ByteBuffer(bytes: random.bytes(1 + Int(random.next() % 5000)))
                        events.append(
                            SessionEvent(
                                conn: id, data(direction, chunk), time: UInt64(id) << 20 + UInt64(step)))
                    }
                    events.append(
                        SessionEvent(conn: id, Scenario.closeKind(&random), time: UInt64(id) << 20 + 99))
                    // Half one event at a time, half in batches of up to 5.
                    if id % 2 == 0 {
                        for event in events { try writer.write(event) }
                    } else {
                        var rest = events[...]
                        while !rest.isEmpty {
                            let count = 1 + Int(random.next() % 5)
                            try writer.write(rest.prefix(count))
                            rest = rest.dropFirst(count)
                        }
                    }
                    return events
                }
            }
            var all: [SessionEvent] = []
            for try await events in group { all += events }
            return all
        }
        try writer.close()
        #expect(try CaptureReader.read(path: path) == expectedSessions(all))
    }
}

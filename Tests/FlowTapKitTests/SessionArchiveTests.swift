import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import Foundation
import NIOCore
import TestSupport
import Testing

@Suite("SessionArchive: what the UI's w writes", .busyThreads)
struct SessionArchiveTests {
    static let t0: UInt64 = 1_764_000_000_000_000_000

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "flowtap-archive-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    /// Two interleaved sessions with every kind of event a live session reports.
    static func events() -> [SessionEvent] {
        var t = t0
        var out: [SessionEvent] = []
        func add(_ conn: Int?, _ kind: SessionEvent.Kind) {
            t += 1_000_123
            out.append(SessionEvent(conn: conn, kind, time: t))
        }
        add(nil, .listening(address: "127.0.0.1:7000"))
        add(
            1, .open(client: .ip(host: "127.0.0.1", port: 40_000), target: .ip(host: "127.0.0.1", port: 6379))
        )
        add(1, .fault(.s2c, "latency=200ms"))
        add(1, .pause(.c2s))
        add(1, .held(.c2s, HeldChunk(number: 1, bytes: ByteBuffer(string: "old"))))
        add(2, .open(client: .unix(path: "/tmp/c.sock"), target: .ip(host: "::1", port: 80)))
        add(
            1,
            .edit(.c2s, originalBytes: 3, originalSHA256: "aa", bytes: 4, original: ByteBuffer(string: "old"))
        )
        add(1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "new!")))
        add(2, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")))
        add(1, .drop(.c2s, bytes: 6, sha256: "bb", original: ByteBuffer(string: "secret")))
        add(1, .inject(.c2s, bytes: 5))
        add(1, .data(.c2s, offset: 4, bytes: ByteBuffer(string: "typed")))
        add(1, .resume(.c2s))
        add(
            2,
            .data(.s2c, offset: 0, bytes: ByteBuffer(bytes: (0..<3000).map { UInt8(truncatingIfNeeded: $0) }))
        )
        add(1, .step(.s2c))
        add(1, .eof(.c2s))
        add(1, .shutdown(.c2s))
        add(2, .readError(.s2c, "connection reset by peer"))
        add(
            1,
            .close(
                c2s: Stats(readBytes: 14, readOps: 3, writeBytes: 9, writeOps: 2, duration: .microseconds(5)),
                s2c: Stats()))
        add(2, .close(c2s: Stats(), s2c: Stats(readBytes: 3000, readOps: 1)))
        return out
    }

    @Test("within its limits, w writes the very blocks -w wrote, and they read back as the events")
    func sameAsLiveCapture() throws {
        let live = Self.temporaryPath("live.pcapng")
        let saved = Self.temporaryPath("saved.pcapng")
        defer {
            try? FileManager.default.removeItem(atPath: live)
            try? FileManager.default.removeItem(atPath: saved)
        }
        let archive = SessionArchive(limit: 1 << 20)
        let observer = CaptureObserver(writer: try CaptureWriter(path: live)) { error in
            Issue.record("\(error)")
        }
        for event in Self.events() {
            archive.record(event)
            observer.record(event)
        }
        observer.close()
        #expect(try archive.write(to: saved, replacing: false) == 2)
        let a = try Data(contentsOf: URL(fileURLWithPath: live))
        let b = try Data(contentsOf: URL(fileURLWithPath: saved))
        #expect(a.count > 1000 && a == b, "the two captures differ: \(a.count) and \(b.count) bytes")
        let written = Self.events().filter {
            if case .held = $0.kind { return false }
            return $0.conn != nil
        }
        #expect(
            try CaptureReader.read(path: saved).flatMap(\.events) == written.sorted { $0.conn! < $1.conn! })
    }

    @Test("an existing file is never replaced without a yes")
    func noOverwrite() throws {
        let path = Self.temporaryPath("exists.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        let archive = SessionArchive()
        for event in Self.events() { archive.record(event) }
        #expect {
            try archive.write(to: path, replacing: false)
        } throws: { error in
            (error as? CaptureError)?.errno == EEXIST
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
        #expect(try archive.write(to: path, replacing: true) == 2)
        #expect(try CaptureReader.read(path: path).count == 2)
    }

    /// `count` chunks of `size` bytes from the server; byte i of the stream is `i % 251`.
    static func bulk(into archive: SessionArchive, count: Int, size: Int, conn: Int = 1) -> [UInt8] {
        var stream: [UInt8] = []
        archive.record(
            SessionEvent(
                conn: conn,
                .open(client: .ip(host: "127.0.0.1", port: 1), target: .ip(host: "127.0.0.1", port: 2)),
                time: t0))
        archive.record(
            SessionEvent(
                conn: conn, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "GET /big\r\n")), time: t0 + 1))
        for index in 0..<count {
            let chunk = (0..<size).map { UInt8((stream.count + $0) % 251) }
            archive.record(
                SessionEvent(
                    conn: conn, .data(.s2c, offset: stream.count, bytes: ByteBuffer(bytes: chunk)),
                    time: t0 + 2 + UInt64(index)))
            stream += chunk
        }
        archive.record(SessionEvent(conn: conn, .eof(.s2c), time: t0 + 10_000_000))
        archive.record(SessionEvent(conn: conn, .close(c2s: Stats(), s2c: Stats()), time: t0 + 10_000_001))
        return stream
    }

    @Test("a long direction keeps its head and its tail, and one gap names the middle that was cut")
    func headAndTail() throws {
        let archive = SessionArchive(limit: 64 * 1024)
        let stream = Self.bulk(into: archive, count: 200, size: 1000)
        let path = Self.temporaryPath("cut.pcapng")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try archive.write(to: path, replacing: false)
        let session = try #require(try CaptureReader.read(path: path).first)
        let gaps = session.events.compactMap { event -> (Int, Int)? in
            if case .gap(.s2c, let from, let to) = event.kind { return (from, to) }
            return nil
        }
        try #require(gaps.count == 1)
        let (from, to) = gaps[0]
        var chunks: [(Int, ByteBuffer)] = []
        for event in session.events {
            if case .data(.s2c, let offset, let bytes) = event.kind { chunks.append((offset, bytes)) }
        }
        // The head starts at 0 and runs to the gap; the tail runs from the gap to the end.
        let head = chunks.filter { $0.0 < from }
        let tail = chunks.filter { $0.0 >= to }
        #expect(head.count + tail.count == chunks.count)
        #expect(head.first?.0 == 0 && head.last.map { $0.0 + $0.1.readableBytes } == from)
        #expect(tail.last.map { $0.0 + $0.1.readableBytes } == stream.count && tail.first?.0 == to)
        for (offset, bytes) in chunks {
            #expect(Array(bytes.readableBytesView) == Array(stream[offset..<(offset + bytes.readableBytes)]))
        }
        let kept = chunks.reduce(0) { $0 + $1.1.readableBytes }
        #expect(kept <= 64 * 1024 && kept >= 48 * 1024, "kept \(kept) bytes")
        // The request and the other events of the session are all there.
        #expect(
            session.events.contains {
                $0.kind == .data(.c2s, offset: 0, bytes: ByteBuffer(string: "GET /big\r\n"))
            })
        #expect(session.events.contains { $0.kind == .eof(.s2c) })
    }

    @Test("a stream of one-byte chunks stays within the limit's chunk budget")
    func tinyChunks() {
        let archive = SessionArchive(limit: 64 * 1024)
        _ = Self.bulk(into: archive, count: 100_000, size: 1)
        let data = archive.events().filter {
            if case .data = $0.kind { return true }
            return false
        }
        #expect(data.count <= 64 * 1024 / SessionArchive.overhead + 2, "\(data.count) chunks kept")
        #expect(archive.events().count < 1000)
    }

    @Test("over the budget, the oldest sessions lose their bytes first, and say so")
    func budget() throws {
        let archive = SessionArchive(limit: 64 * 1024, budget: 100 * 1024)
        for conn in 1...4 { _ = Self.bulk(into: archive, count: 50, size: 1000, conn: conn) }
        let events = archive.events()
        func data(_ conn: Int) -> Int {
            events.filter { $0.conn == conn }.reduce(0) {
                if case .data(_, _, let bytes) = $1.kind { return $0 + bytes.readableBytes }
                return $0
            }
        }
        #expect(data(1) == 0 && data(4) > 0)
        #expect(events.contains { $0.conn == 1 && $0.kind == .gap(.s2c, from: 0, to: 50_000) })
        #expect(events.contains { $0.conn == 1 && $0.kind == .eof(.s2c) })
        let total = (1...4).reduce(0) { $0 + data($1) }
        #expect(total <= 100 * 1024)
    }
}

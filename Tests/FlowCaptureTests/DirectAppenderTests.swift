import FlowEvents
import Foundation
import NIOCore
import Testing

@testable import FlowCapture

@Suite("Writer: direct I/O")
struct DirectAppenderTests {
    /// Whether `fd` is open with Linux's `O_DIRECT` (x86-64's value; see `DirectAppender`).
    private static func isDirect(_ writer: CaptureWriter) -> Bool {
        var flags: Int32 = 0
        writer.withDescriptor { flags = fcntl($0, F_GETFL) }
        #if arch(x86_64)
            return flags & 0o40000 != 0
        #else
            return flags & 0o200000 != 0
        #endif
    }

    private static func contents(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("after every write the file is exactly the blocks written: no padding, no page lost")
    func exactAfterEveryWrite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("direct.pcapng")
        let writer = try CaptureWriter(path: path)
        // The temporary directory is on ext4 or tmpfs here, both of which do direct I/O.
        #expect(Self.isDirect(writer))
        var expected = try Self.contents(path)
        var sessions: [Int: TCPConversation] = [:]
        var random = SeededRandom(seed: 41)
        var events = [
            SessionEvent(
                conn: 1, .open(client: .ip(host: "127.0.0.1", port: 40_002), target: .unix(path: "/s")),
                time: 1)
        ]
        for step in 0..<300 {
            // Sizes around and across page boundaries, and small ones that stay in one page.
            let size = step % 5 == 0 ? 4096 * Int(1 + random.next() % 3) : 1 + Int(random.next() % 9000)
            let chunk = ByteBuffer(bytes: random.bytes(size))
            events.append(
                SessionEvent(conn: 1, data(step % 2 == 0 ? .c2s : .s2c, chunk), time: UInt64(step + 2)))
        }
        events.append(SessionEvent(conn: 1, Scenario.closeKind(&random), time: 400))
        for event in events {
            var out = PcapngBuilder()
            CaptureWriter.encode(event, session: 1, sessions: &sessions, into: &out)
            expected += out.bytes
            try writer.write(event)
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
            #expect(size == expected.count)
            guard size == expected.count else { break }
        }
        #expect(Self.isDirect(writer))
        try writer.close()
        let written = try Self.contents(path)
        #expect(written.count == expected.count)
        #expect(firstDifference(written, expected) == nil)
        #expect(try CaptureReader.read(path: path) == expectedSessions(events))
    }

    @Test("a direct write that fails falls back to write(2) and fails as it would")
    func failureFallsBack() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("full.pcapng")
        let writer = try CaptureWriter(path: path)
        #expect(Self.isDirect(writer))
        try writer.write(SessionEvent(conn: 1, data(.c2s, ByteBuffer(string: "before")), time: 1))
        let full = open("/dev/full", O_WRONLY)
        #expect(full >= 0)
        defer { close(full) }
        writer.withDescriptor { _ = dup2(full, $0) }
        #expect(throws: CaptureError.self) {
            try writer.write(SessionEvent(conn: 1, data(.c2s, ByteBuffer(string: "after")), time: 2))
        }
        // Failed for good, with the system's reason.
        do {
            try writer.write(SessionEvent(conn: 1, data(.c2s, ByteBuffer(string: "later")), time: 3))
            Issue.record("a write after the failure succeeded")
        } catch {
            #expect(error.description.contains("no space left on device"), "\(error)")
        }
        try writer.close()
    }
}

@Suite("Writer: direct I/O's filler block", .leavesNoProcesses)
struct DirectAppenderFillerTests {
    @Test(
        "a capture ending with the padding's filler block reads whole, in flowtap and tshark",
        arguments: [12, 16, 4092, 4104])
    func fillerIsSkipped(count: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Scenario.events(seed: 51, sessions: 2)
        let path = directory.file("plain.pcapng")
        var bytes = try writeCapture(events, to: path)
        let packets = try #require(try await tsharkPacketCount(path))
        let padded = directory.file("filler.pcapng")
        var filler = [UInt8](repeating: 0xee, count: count)
        filler.withUnsafeMutableBytes { DirectAppender.fill($0.baseAddress!, count: count) }
        bytes += filler
        try Data(bytes).write(to: URL(fileURLWithPath: padded))
        var warnings: [String] = []
        #expect(try CaptureReader.read(path: padded) { warnings.append($0) } == expectedSessions(events))
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(try await tsharkPacketCount(padded) == packets)
    }

    /// The packets tshark reads from `path` (nil, with an issue recorded, when tshark fails:
    /// it exits non-zero on a file it calls damaged).
    private func tsharkPacketCount(_ path: String) async throws -> Int? {
        try await tshark(["-r", path, "-T", "fields", "-e", "frame.number"])?.split(separator: "\n").count
    }
}

import FlowCore
import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

#if canImport(Glibc)
    import Glibc
#endif

/// Files made to hurt the reader and the writer (issue 12): values that used to trap, work that
/// used to be quadratic, files that are not files, links and FIFOs in place of a capture.
@Suite("Hostile files: the reader never traps, the writer never damages", .leavesNoProcesses)
struct HostileCaptureTests {
    private static let t0: UInt64 = 1_764_000_000_000_000_000

    @Test("a version 1 close stamped before the session's first event gives a zero duration")
    func closeBeforeFirstEvent() throws {
        var capture = HandMadeCapture()
        capture.record(
            #"{"client":{"ip":"127.0.0.1","port":5},"event":"open","server":{"ip":"127.0.0.3","port":1025},"#
                + #""session":1,"tcp":{"client":"127.0.0.1:5","server":"127.0.0.3:1025"},"v":1}"#, at: Self.t0
        )
        // The wall clock stepped back (or a hostile file): close 10 s before the open.
        capture.record(#"{"event":"close","session":1,"v":1}"#, at: Self.t0 - 10_000_000_000)
        capture.record(#"{"event":"close","session":1,"v":1}"#, at: 0)
        let sessions = try CaptureReader.read(bytes: capture.bytes, name: "back.pcapng")
        let closes = sessions.first?.events.compactMap { event -> Duration? in
            if case .close(let c2s, _) = event.kind { return c2s.duration }
            return nil
        }
        #expect(closes == [.zero, .zero])
    }

    @Test("counts, offsets and session numbers beyond what a reader can add are refused")
    func hugeCountsAreRefused() throws {
        func read(_ records: [String]) throws -> [CapturedSession] {
            var capture = HandMadeCapture()
            for (i, record) in records.enumerated() { capture.record(record, at: Self.t0 + UInt64(i)) }
            return try CaptureReader.read(bytes: capture.bytes, name: "h.pcapng")
        }
        let open = #"{"v":2,"t":1.0,"event":"open","conn":1,"client":"127.0.0.1:5","target":"127.0.0.1:6"}"#
        // A gap that ends at 2^53, then data: offsets are added to, never trapping.
        let gap = #"{"v":2,"t":1.0,"event":"gap","conn":1,"dir":"c2s","from":0,"to":9007199254740992}"#
        let data = #"{"v":2,"t":1.0,"event":"data","conn":1,"dir":"c2s","offset":0,"hex":"4142"}"#
        let sessions = try read([open, gap, data, data])
        #expect(sessions.first?.events.count == 4)
        for (name, record) in [
            ("to", #"{"v":2,"t":1.0,"event":"gap","conn":1,"dir":"c2s","from":0,"to":9223372036854775807}"#),
            ("bytes", #"{"v":2,"t":1.0,"event":"inject","conn":1,"dir":"c2s","bytes":9007199254740993}"#),
        ] {
            #expect(throws: CaptureError.self, "\(name)") { try read([open, record]) }
        }
        for conn in ["9223372036854775807", "-1", "2147483648"] {
            let record = #"{"v":2,"t":1.0,"event":"eof","conn":"# + conn + #","dir":"c2s"}"#
            do {
                _ = try read([record])
                Issue.record("conn \(conn) was accepted")
            } catch {
                #expect("\(error)".contains("out of range"), "\(error)")
            }
            let legacy = #"{"event":"shutdown","dir":"c2s","session":"# + conn + #","v":1}"#
            #expect(throws: CaptureError.self, "v1 session \(conn)") { try read([legacy]) }
        }
    }

    @Test("timestamps in any resolution and offset saturate instead of trapping")
    func timestampsSaturate() {
        func ns(_ units: UInt64, resolution: UInt8, offset: Int64 = 0) -> UInt64 {
            PcapngParser.nanoseconds(
                units, PcapngParser.Interface(linkType: 101, resolution: resolution, offsetSeconds: offset))
        }
        #expect(ns(.max, resolution: 0) == .max)
        #expect(ns(.max, resolution: 6) == .max)
        #expect(ns(.max, resolution: 0x80) == .max)
        #expect(ns(.max, resolution: 0x80 | 1) == .max)
        #expect(ns(1 << 40, resolution: 0x80 | 100) == 0)
        #expect(ns(.max, resolution: 0x80 | 127) < 1_000_000_000)
        #expect(ns(5, resolution: 0, offset: .max) == .max)
        #expect(ns(5, resolution: 0, offset: .min) == 0)
        #expect(ns(5, resolution: 9, offset: -1) == 0)
        #expect(ns(.max - 5, resolution: 9, offset: 1) == .max)
        #expect(ns(1_500_000, resolution: 6, offset: 2) == 3_500_000_000)
    }

    @Test("many interface blocks read in linear time", .timeLimit(.minutes(2)))
    func manyInterfaces() throws {
        // 100,000 interfaces, each with one packet: a reader that looks at every interface for
        // every packet does 5·10⁹ checks (minutes); a linear one reads it in about a second.
        var builder = PcapngBuilder()
        builder.sectionHeader(application: "test")
        let count = 100_000
        for i in 0..<count {
            builder.interface(linkType: PcapngBuilder.linkTypeRaw, name: "if")
            [UInt8](repeating: 0, count: 4).withUnsafeBytes {
                builder.packet(
                    interface: UInt32(i), timestamp: Self.t0, header: [], payload: $0, flags: nil,
                    comment: nil)
            }
        }
        let start = ContinuousClock.now
        let sessions = try CaptureReader.read(bytes: builder.bytes, name: "many.pcapng")
        let elapsed = ContinuousClock.now - start
        #expect(sessions.isEmpty)
        #expect(elapsed < .seconds(30), "\(count) interfaces took \(elapsed)")
    }

    @Test("devices and directories are refused, not read until memory runs out")
    func nonRegularFiles() throws {
        #expect(
            throws: CaptureError(
                .cannotRead, path: "/dev/zero", reason: "not a regular file (a character device)")
        ) { try CaptureReader.read(path: "/dev/zero") }
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        #expect(
            throws: CaptureError(.cannotRead, path: directory.path, reason: "is a directory", errno: EISDIR)
        ) { try CaptureReader.read(path: directory.path) }
    }

    @Test("a short write keeps the blocks that reached the disk whole")
    func wholeBlocksOfAShortWrite() {
        var builder = PcapngBuilder()
        builder.interface(linkType: PcapngBuilder.linkTypeRaw, name: "a")
        let first = builder.bytes.count
        builder.interface(linkType: PcapngBuilder.linkTypeRaw, name: "bb")
        let second = builder.bytes.count
        #expect(CaptureWriter.wholeBlocks(builder.bytes, upTo: 0) == 0)
        #expect(CaptureWriter.wholeBlocks(builder.bytes, upTo: first - 1) == 0)
        #expect(CaptureWriter.wholeBlocks(builder.bytes, upTo: first) == first)
        #expect(CaptureWriter.wholeBlocks(builder.bytes, upTo: second - 1) == first)
        #expect(CaptureWriter.wholeBlocks(builder.bytes, upTo: second) == second)
    }

    @Test("-w on a symbolic link is refused and the link's target is unchanged")
    func symlinkRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let target = directory.file("precious.txt")
        try "someone else's file\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(chmod(target, 0o644) == 0)
        let link = directory.file("s.pcapng")
        #expect(symlink(target, link) == 0)
        #expect(
            throws: CaptureError(
                .cannotCreate, path: link, reason: "is a symbolic link (not followed)", errno: ELOOP)
        ) { try CaptureWriter(path: link) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "someone else's file\n")
        var info = stat()
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o644)
        // A dangling link is refused too (it would create a file where it points).
        let dangling = directory.file("d.pcapng")
        #expect(symlink(directory.file("nowhere"), dangling) == 0)
        #expect(throws: CaptureError.self) { try CaptureWriter(path: dangling) }
        #expect(access(directory.file("nowhere"), F_OK) != 0)
    }

    @Test("a FIFO is refused at once, with or without a reader")
    func fifoRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let fifo = directory.file("s.pcapng")
        #expect(mkfifo(fifo, 0o600) == 0)
        // No reader: an open for writing would block forever without O_NONBLOCK.
        #expect(
            throws: CaptureError(
                .cannotCreate, path: fifo, reason: "not a regular file (a FIFO)", errno: ENXIO)
        ) { try CaptureWriter(path: fifo) }
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        #expect(throws: CaptureError(.cannotCreate, path: fifo, reason: "not a regular file (a FIFO)")) {
            try CaptureWriter(path: fifo)
        }
        var byte: UInt8 = 0
        #expect(read(reader, &byte, 1) == 0, "nothing was written to the FIFO")
    }
}

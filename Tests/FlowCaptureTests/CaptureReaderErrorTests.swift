import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

@Suite("Reader: damaged and foreign input gives a clear CaptureError", .busyThreads)
struct CaptureReaderErrorTests {
    private static func sample() throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        return try writeCapture(Scenario.events(seed: 5, sessions: 3), to: directory.file("s.pcapng"))
    }

    private static func boundaries(_ bytes: [UInt8]) -> [Int] {
        var offset = 0
        var out = [0]
        while offset < bytes.count {
            offset += Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
            out.append(offset)
        }
        return out
    }

    /// The error `read` throws, or an issue when it does not throw.
    private static func error(
        _ bytes: [UInt8], name: String = "s.pcapng", sourceLocation: SourceLocation = #_sourceLocation
    ) -> CaptureError? {
        do {
            _ = try CaptureReader.read(bytes: bytes, name: name)
            Issue.record("no error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("a cut inside any block after the section header reads up to the cut, with a warning")
    func truncatedInsideBlocks() throws {
        let bytes = try Self.sample()
        let blocks = Self.boundaries(bytes)
        var random = SeededRandom(seed: 9)
        for (start, end) in zip(blocks, blocks.dropFirst()) {
            var cuts = Set([start + 1, start + 4, start + 8, start + 11, start + 12, end - 4, end - 1])
            cuts.insert(start + 1 + Int(random.next() % UInt64(end - start - 1)))
            for cut in cuts.sorted() where cut > start && cut < end {
                let head = Array(bytes[0..<cut])
                if cut < 4 {
                    #expect(Self.error(head)?.description == "s.pcapng: neither pcapng nor pcap")
                } else if start == 0 {
                    let error = try #require(Self.error(head))
                    #expect(error.kind == .malformed)
                    #expect(
                        error.description.hasPrefix("s.pcapng: truncated block at offset 0"), "cut \(cut)")
                } else {
                    var warnings: [String] = []
                    let sessions = try CaptureReader.read(bytes: head, name: "s.pcapng") {
                        warnings.append($0)
                    }
                    #expect(
                        sessions == (try CaptureReader.read(bytes: Array(bytes[0..<start]), name: "s.pcapng"))
                    )
                    #expect(warnings.count == 1)
                    #expect(
                        warnings.first?.hasPrefix(
                            "s.pcapng: the file ends in the middle of a block at offset \(start) (")
                            == true, "cut \(cut): \(warnings)")
                    #expect(warnings.first?.hasSuffix("; read up to there") == true)
                }
            }
        }
        #expect(Self.error([])?.description == "s.pcapng: neither pcapng nor pcap (it is empty)")
        var warnings: [String] = []
        _ = try CaptureReader.read(bytes: bytes, name: "s.pcapng") { warnings.append($0) }
        #expect(warnings.isEmpty)
    }

    @Test("bad block lengths, a bad version, a corrupt event payload")
    func badLengthsVersionAndPayload() throws {
        let bytes = try Self.sample()
        let blocks = Self.boundaries(bytes)
        let block = blocks[3]  // the first packet (the SYN of session 1)
        func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
            var copy = bytes
            copy.replaceSubrange(offset..<offset + values.count, with: values)
            return copy
        }
        #expect(
            Self.error(patched(block + 4, [13, 0, 0, 0]))?.description
                == "s.pcapng: bad block length 13 at offset \(block)")
        #expect(
            Self.error(patched(block + 4, [8, 0, 0, 0]))?.description
                == "s.pcapng: bad block length 8 at offset \(block)")
        // A length past the end is a cut there: read up to it, with a warning.
        var warnings: [String] = []
        _ = try CaptureReader.read(bytes: patched(block + 4, [0, 0, 0, 0x7f]), name: "s.pcapng") {
            warnings.append($0)
        }
        #expect(
            warnings.first?.hasPrefix("s.pcapng: the file ends in the middle of a block at offset \(block) (")
                == true)
        let length = blocks[4] - block
        let mismatch = Self.error(
            patched(blocks[4] - 4, [UInt8(length & 0xff) &+ 4, UInt8(length >> 8), 0, 0]))
        #expect(
            mismatch?.description
                == "s.pcapng: bad block length at offset \(block): "
                + "\(length) at the start, \(length + 4) at the end"
        )
        #expect(
            Self.error(patched(12, [2, 0]))?.description
                == "s.pcapng: unsupported pcapng version 2.0 at offset 0")
        #expect(
            Self.error(patched(8, [1, 2, 3, 4]))?.description == "s.pcapng: not a pcapng file")

        // The first event packet is the open of session 1 (packet 4, after the handshake).
        let json = try #require(
            bytes.indices.first { bytes[$0] == UInt8(ascii: "{") && bytes[$0 + 1] == UInt8(ascii: "\"") })
        let corrupt = Self.error(patched(json, [UInt8(ascii: "X")]))?.description
        #expect(
            corrupt
                == "s.pcapng: corrupt event payload in packet 4 at offset \(blocks[6]): not a flowtap event")
        let version = Array(#"{"event":"close","session":1,"v":9}"#.utf8)
        let future = try CaptureReader.read(bytes: Array(bytes[0..<blocks[3]]), name: "f")
        #expect(future.isEmpty)
        var withFuture = Array(bytes[0..<blocks[3]])
        var builder = PcapngBuilder()
        version.withUnsafeBytes {
            builder.packet(
                interface: 1, timestamp: 5, header: EventRecord.exportedPDUHeader, payload: $0, flags: nil,
                comment: nil)
        }
        withFuture += builder.bytes
        #expect(
            Self.error(withFuture)?.description
                == "s.pcapng: corrupt event payload in packet 1 at offset \(blocks[3]): "
                + "unsupported event payload version 9"
        )
    }

    @Test("events on a USER0 (147) interface are read too; bad exported-PDU tags are an error")
    func legacyAndBadTags() throws {
        var builder = PcapngBuilder()
        builder.sectionHeader(application: "flowtap")
        builder.interface(linkType: PcapngBuilder.linkTypeRaw, name: "flowtap")
        builder.interface(linkType: PcapngBuilder.linkTypeUser0, name: "flowtap-events")
        Array(#"{"dir":"s2c","event":"pause","session":2,"v":1}"#.utf8).withUnsafeBytes {
            builder.packet(interface: 1, timestamp: 7, header: [], payload: $0, flags: nil, comment: nil)
        }
        let sessions = try CaptureReader.read(bytes: builder.bytes, name: "old.pcapng")
        #expect(
            sessions == [
                CapturedSession(
                    id: 2, client: nil, server: nil,
                    events: [SessionEvent(conn: 2, .pause(.s2c), time: 7)])
            ])

        let bytes = try Self.sample()
        let json = try #require(
            bytes.indices.first { bytes[$0] == UInt8(ascii: "{") && bytes[$0 + 1] == UInt8(ascii: "\"") })
        var damaged = bytes
        damaged[json - 21] = 0xff  // the dissector-name tag's length: far beyond the packet
        let error = Self.error(damaged)?.description
        #expect(
            error
                == "s.pcapng: corrupt event payload in packet 4 at offset \(Self.boundaries(bytes)[6]): "
                + "bad exported PDU tags")
    }

    @Test("random garbage, a text file and random damage never crash")
    func garbage() throws {
        var random = SeededRandom(seed: 77)
        for _ in 0..<200 {
            let bytes = random.bytes(Int(random.next() % 3000))
            #expect(Self.error(bytes)?.kind == .malformed)
        }
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let text = directory.file("x.txt")
        try "GET / HTTP/1.1\r\nHost: example\r\n\r\n".write(toFile: text, atomically: false, encoding: .utf8)
        #expect(throws: CaptureError(.malformed, path: text, reason: "neither pcapng nor pcap")) {
            try CaptureReader.read(path: text)
        }
        let missing = directory.file("missing.pcapng")
        #expect(
            throws: CaptureError(
                .cannotRead, path: missing, reason: "no such file or directory", errno: ENOENT)
        ) {
            try CaptureReader.read(path: missing)
        }
        #expect(
            "\(CaptureError(.malformed, path: text, reason: "neither pcapng nor pcap"))"
                == "\(text): neither pcapng nor pcap")

        // Valid headers followed by garbage, and random byte flips in a valid capture.
        let sample = try Self.sample()
        let headers = Array(sample[0..<Self.boundaries(sample)[3]])
        for _ in 0..<100 {
            _ = try? CaptureReader.read(bytes: headers + random.bytes(Int(random.next() % 2000)), name: "g")
        }
        for _ in 0..<300 {
            var damaged = sample
            for _ in 0..<(1 + random.next() % 8) {
                damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            _ = try? CaptureReader.read(bytes: damaged, name: "d")
        }
    }

    @Test("big-endian sections are read like little-endian ones")
    func bigEndian() throws {
        // A hand-made big-endian section: SHB, one raw-IP interface, one TCP packet with data.
        var ipv4: [UInt8] = [0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        ipv4 += [0x9c, 0x41, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
        ipv4 += Array("ping".utf8)
        func u32(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        var file =
            u32(0x0A0D_0D0A) + u32(28) + u32(0x1A2B_3C4D) + [0, 1, 0, 0] + [UInt8](repeating: 0xff, count: 8)
            + u32(28)
        file += u32(1) + u32(20) + [0, 101, 0, 0] + u32(0) + u32(20)
        let packet =
            u32(0) + u32(0) + u32(1_000_000) + u32(UInt32(ipv4.count)) + u32(UInt32(ipv4.count)) + ipv4
        file += u32(6) + u32(UInt32(12 + packet.count)) + packet + u32(UInt32(12 + packet.count))
        let sessions = try CaptureReader.read(bytes: file, name: "be.pcapng")
        #expect(sessions.count == 1)
        #expect(sessions.first?.client == .ip(host: "10.0.0.1", port: 40_001))
        #expect(sessions.first?.server == .ip(host: "10.0.0.2", port: 80))
        #expect(
            sessions.first?.events.last
                == SessionEvent(
                    conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "ping")), time: 1_000_000_000))
    }
}

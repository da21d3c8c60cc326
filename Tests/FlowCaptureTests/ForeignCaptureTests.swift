import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

/// Captures from other tools: classic pcap and pcapng without flowtap's event interface, with
/// Ethernet framing, read back as TCP sessions.
@Suite("Reader: foreign captures", .busyThreads)
struct ForeignCaptureTests {
    /// The TCP packets (raw IP) of a flowtap capture, with their timestamps.
    private static func packets(_ events: [SessionEvent]) throws -> [(UInt64, [UInt8])] {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let bytes = try writeCapture(events, to: directory.file("s.pcapng"))
        var out: [(UInt64, [UInt8])] = []
        let cut = try PcapngParser(bytes: bytes, name: "s").parse { packet, _ in
            if packet.interface.linkType == PcapngBuilder.linkTypeRaw {
                out.append((packet.timestamp, Array(packet.data)))
            }
        }
        #expect(cut == nil)
        return out
    }

    private static func ethernet(_ ip: [UInt8]) -> [UInt8] {
        let type: [UInt8] = ip[0] >> 4 == 6 ? [0x86, 0xDD] : [0x08, 0x00]
        return [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 7] + type + ip  // with a VLAN tag
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static let events = timed([
        (
            1,
            .open(client: .ip(host: "192.168.1.10", port: 50_000), target: .ip(host: "192.168.1.1", port: 25))
        ),
        (2, .open(client: .ip(host: "fd00::10", port: 50_001), target: .ip(host: "fd00::1", port: 443))),
        (1, data(.s2c, ByteBuffer(string: "220 ready\r\n"))),
        (1, data(.c2s, ByteBuffer(string: "HELO x\r\n"))),
        (2, data(.c2s, ByteBuffer(repeating: 9, count: 150_000))),
        (1, .eof(.c2s)), (1, .shutdown(.c2s)),
        (1, data(.s2c, ByteBuffer(string: "221 bye\r\n"))),
        (1, .eof(.s2c)), (1, .shutdown(.s2c)),
        (2, .readError(.s2c, "connection reset by peer")),
    ])

    private static func check(_ sessions: [CapturedSession], microseconds: Bool) {
        #expect(sessions.map(\.id) == [1, 2])
        #expect(sessions.first?.client == .ip(host: "192.168.1.10", port: 50_000))
        #expect(sessions.last?.server == .ip(host: "fd00::1", port: 443))
        for session in sessions {
            var bytes: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
            var others: [SessionEvent.Kind] = []
            for event in session.events {
                #expect(event.conn == session.id)
                if case .data(let direction, let offset, let buffer) = event.kind {
                    // Offsets count the bytes before the chunk in its direction.
                    #expect(offset == bytes[direction]!.count, "session \(session.id) \(direction)")
                    bytes[direction]! += buffer.readableBytesView
                } else {
                    others.append(event.kind)
                }
            }
            #expect(bytes == streamBytes(events, session: session.id))
            if session.id == 1 {
                #expect(others.dropFirst() == [.shutdown(.c2s), .shutdown(.s2c)])
            } else {
                #expect(others.dropFirst() == [.readError(.s2c, "connection reset by peer")])
            }
            let first = events.first { $0.conn == session.id }!.time
            let expected = microseconds ? first / 1000 * 1000 : first
            #expect(session.events.first?.time == expected)
        }
    }

    @Test("classic big-endian pcap with Ethernet and VLAN tags")
    func classicPcap() throws {
        var file = [0xA1, 0xB2, 0xC3, 0xD4, 0, 2, 0, 4] + [UInt8](repeating: 0, count: 8)
        file += Self.bigEndian(262_144) + Self.bigEndian(1)
        for (time, ip) in try Self.packets(Self.events) {
            let frame = Self.ethernet(ip)
            file += Self.bigEndian(UInt32(time / 1_000_000_000))
            file += Self.bigEndian(UInt32(time % 1_000_000_000 / 1000))
            file += Self.bigEndian(UInt32(frame.count)) + Self.bigEndian(UInt32(frame.count)) + frame
        }
        Self.check(try CaptureReader.read(bytes: file, name: "t.pcap"), microseconds: true)
        var warnings: [String] = []
        #expect(
            try CaptureReader.read(bytes: Array(file[0..<40]), name: "t.pcap") { warnings.append($0) }.isEmpty
        )
        #expect(
            warnings == ["t.pcap: the file ends in the middle of a packet at offset 24; read up to there"])
    }

    @Test("pcapng with an Ethernet interface and microsecond timestamps")
    func foreignPcapng() throws {
        var builder = PcapngBuilder()
        builder.sectionHeader(application: "tcpdump")
        // An IDB with the default resolution (microseconds): link type 1, no options.
        builder.u32(1)
        builder.u32(20)
        builder.u16(1)
        builder.u16(0)
        builder.u32(0)
        builder.u32(20)
        for (time, ip) in try Self.packets(Self.events) {
            Self.ethernet(ip).withUnsafeBytes {
                builder.packet(
                    interface: 0, timestamp: time / 1000, header: [], payload: $0, flags: nil, comment: nil)
            }
        }
        Self.check(try CaptureReader.read(bytes: builder.bytes, name: "t.pcapng"), microseconds: true)
    }

    @Test("reordered and retransmitted segments are put right; a lost one is a note")
    func reorderedSegments() throws {
        let big = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let events = timed([
            (1, .open(client: .ip(host: "10.0.0.1", port: 40_000), target: .ip(host: "10.0.0.2", port: 80))),
            (1, data(.c2s, big)),
            (1, .eof(.c2s)), (1, .shutdown(.c2s)),
        ])
        let packets = try Self.packets(events).map(\.1)
        // 0–2 handshake, 3–7 data (65495 bytes each but the last), 8 FIN.
        #expect(packets.count == 9)
        func pcap(_ order: [Int]) -> [UInt8] {
            var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8)
            file += [0, 0, 4, 0, 101, 0, 0, 0]
            for index in order {
                let count = UInt32(packets[index].count)
                let length = (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
                file += [UInt8](repeating: 0, count: 8) + length + length + packets[index]
            }
            return file
        }
        func c2s(_ session: CapturedSession) -> [UInt8] {
            session.events.reduce(into: []) { bytes, event in
                if case .data(.c2s, _, let buffer) = event.kind { bytes += buffer.readableBytesView }
            }
        }
        let shuffled = try CaptureReader.read(bytes: pcap([0, 1, 2, 5, 3, 3, 7, 4, 6, 5, 8]), name: "r.pcap")
        #expect(shuffled.count == 1)
        #expect(c2s(shuffled[0]) == Array(big.readableBytesView))
        #expect(shuffled[0].events.last?.kind == .shutdown(.c2s))
        #expect(!shuffled[0].events.contains { if case .note = $0.kind { true } else { false } })

        let lost = try CaptureReader.read(bytes: pcap([0, 1, 2, 3, 5, 6, 7, 8]), name: "l.pcap")
        #expect(lost[0].events.contains { $0.kind == .note("c2s: 65495 bytes not captured") })
        var expected = Array(big.readableBytesView)
        expected.removeSubrange(65_495..<2 * 65_495)
        #expect(c2s(lost[0]) == expected)
        #expect(lost[0].events.last?.kind == .shutdown(.c2s))
    }

    @Test("random packets on every link type never crash the decoder or the assembler")
    func randomPackets() throws {
        var random = SeededRandom(seed: 3)
        var assembler = ForeignAssembler()
        let valid = try Self.packets(Self.events).map(\.1)
        for round in 0..<3000 {
            var packet: [UInt8]
            if round % 2 == 0 {
                packet = random.bytes(Int(random.next() % 120))
            } else {
                packet = valid[Int(random.next() % UInt64(valid.count))]
                for _ in 0..<(1 + random.next() % 4) {
                    packet[Int(random.next() % UInt64(packet.count))] = UInt8(
                        truncatingIfNeeded: random.next())
                }
                packet = Array(packet.prefix(Int(random.next() % UInt64(packet.count + 1))))
            }
            for linkType: UInt16 in [0, 1, 101, 108, 113, 228, 229, 276] {
                if let segment = TCPSegment(linkType: linkType, packet: packet[...]) {
                    assembler.segment(segment, timestamp: UInt64(round))
                }
            }
        }
        _ = assembler.finish()
    }
}

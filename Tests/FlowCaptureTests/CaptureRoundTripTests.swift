import FlowCore
import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

@Suite("Writer → reader round trip", .busyThreads)
struct CaptureRoundTripTests {
    @Test("seeded random sessions come back identical", arguments: [1, 2, 3] as [UInt64])
    func randomSessions(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Scenario.events(seed: seed)
        let path = directory.file("s.pcapng")
        let bytes = try writeCapture(events, to: path)
        let expected = expectedSessions(events)
        let read = try CaptureReader.read(path: path)
        #expect(read.count == expected.count)
        for (got, want) in zip(read, expected) {
            #expect(got.id == want.id)
            #expect(got.client == want.client)
            #expect(got.server == want.server)
            #expect(got.events.count == want.events.count, "session \(want.id)")
            for (index, (a, b)) in zip(got.events, want.events).enumerated() where a != b {
                Issue.record("session \(want.id) event \(index): got \(a), want \(b)")
                break
            }
        }
        #expect(read == expected)
        #expect(try CaptureReader.read(bytes: bytes, name: "s.pcapng") == expected)
    }

    @Test("edge cases: empty chunks, segment-sized chunks, odd ids, odd text")
    func edgeCases() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mss = TCPConversation.maxSegment
        let events = timed([
            (0, .open(client: .ip(host: "127.0.0.1", port: 1), target: .ip(host: "127.0.0.1", port: 65535))),
            (0, data(.c2s, ByteBuffer())),
            (0, data(.c2s, ByteBuffer(repeating: 1, count: mss))),
            (0, data(.s2c, ByteBuffer(repeating: 2, count: 2 * mss))),
            (0, data(.s2c, ByteBuffer(repeating: 3, count: mss + 1))),
            // Session numbers out of order, up to the largest a reader accepts (Int32.max).
            (7, .open(client: .unix(path: "/tmp/ü \"x\"\\n"), target: .unix(path: ""))),
            (7, .note("{\"json\": [1, 2]}\u{0}\t✓")),
            (SessionEvent.maximumConn, .note("")),
            (SessionEvent.maximumConn, data(.s2c, ByteBuffer(string: "late"))),
            (
                0,
                .connectError(
                    client: .unix(path: ""), target: .ip(host: "fe80::1", port: 9), error: "no route to host")
            ),
            (3, .open(client: .ip(host: "localhost", port: 5), target: .ip(host: "::ffff:1.2.3.4", port: 6))),
            (3, data(.c2s, ByteBuffer(string: "x"))),
            (3, .open(client: .ip(host: "1.2.3.4", port: 5), target: .ip(host: "1.2.3.5", port: 6))),
            (3, data(.s2c, ByteBuffer(string: "reopened"))),
            (
                3,
                .connectError(
                    client: .ip(host: "1.2.3.4", port: 7), target: .ip(host: "db.example", port: 5432),
                    error: "x")
            ),
            (3, closed),
        ])
        let path = directory.file("edge.pcapng")
        _ = try writeCapture(events, to: path)
        #expect(try CaptureReader.read(path: path) == expectedSessions(events))
    }

    @Test("a file cut at any block boundary reads as far as it goes")
    func cutAtBlockBoundaries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Scenario.events(seed: 11, sessions: 4)
        let bytes = try writeCapture(events, to: directory.file("s.pcapng"))
        let expected = expectedSessions(events)
        var offset = 0
        var boundaries: [Int] = []
        while offset < bytes.count {
            offset += Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
            boundaries.append(offset)
        }
        #expect(boundaries.last == bytes.count)
        for boundary in boundaries {
            let sessions = try CaptureReader.read(bytes: Array(bytes[0..<boundary]), name: "cut.pcapng")
            for session in sessions {
                let full = try #require(expected.first { $0.id == session.id })
                #expect(session.events.count <= full.events.count)
                // Every event but a cut data chunk (the last of its direction) is as written.
                for (got, want) in zip(session.events, full.events) where got != want {
                    guard case .data(let d, let offset, let part) = got.kind,
                        case .data(d, offset, let whole) = want.kind, got.time == want.time,
                        got.conn == want.conn
                    else {
                        Issue.record("cut at \(boundary): \(got) ≠ \(want)")
                        return
                    }
                    #expect(Array(whole.readableBytesView).starts(with: part.readableBytesView))
                }
            }
        }
    }
}

import FlowCore
import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

@Suite("Event records: every kind, version 1, bad fields, clipping", .leavesNoProcesses)
struct CaptureEventRecordTests {
    private static let digest = String(repeating: "0123456789abcdef", count: 4)
    /// Quotes, backslashes, newlines, every C0 control, DEL, U+2028, non-ASCII and an emoji.
    private static let awkward =
        "say \"hi\" \\ back\\slash\nline\r\ttab "
        + String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7f}\u{2028}é✓🦊 {\"json\":[1]}"

    @Test("every event kind comes back exactly as written")
    func everyKind() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let allBytes = ByteBuffer(bytes: (0...255).map { UInt8($0) })
        let events = timed([
            (nil, .listening(address: "127.0.0.1:8080")),
            (1, .open(client: .ip(host: "::1", port: 50_000), target: .ip(host: "fe80::1:2", port: 443))),
            (1, .pause(.c2s)),
            (1, .held(.c2s, HeldChunk(number: 1, bytes: ByteBuffer(string: "hello")))),
            (1, .step(.c2s)),
            (1, .held(.c2s, nil)),
            (1, .resume(.c2s)),
            (1, .fault(.s2c, "latency=200ms")),
            (1, .fault(.s2c, "-latency=200ms")),
            (1, .fault(.c2s, Self.awkward)),
            (
                1,
                .edit(
                    .c2s, originalBytes: 256, originalSHA256: Self.digest, bytes: 3, original: allBytes)
            ),
            (1, data(.c2s, ByteBuffer(string: "abc"))),
            (1, .edit(.s2c, originalBytes: 9, originalSHA256: Self.digest, bytes: 0, original: nil)),
            (1, data(.s2c, ByteBuffer())),
            (1, .edit(.s2c, originalBytes: 0, originalSHA256: Self.digest, bytes: 2, original: ByteBuffer())),
            (1, data(.s2c, ByteBuffer(string: "hi"))),
            (1, .drop(.c2s, bytes: 256, sha256: Self.digest, original: allBytes)),
            (1, .drop(.c2s, bytes: 7, sha256: Self.digest, original: nil)),
            (1, .inject(.c2s, bytes: 5)),
            (1, data(.c2s, ByteBuffer(string: "typed"))),
            (1, .rewrite(.s2c, count: 2, originalBytes: 10, bytes: 12, originalSHA256: Self.digest)),
            (1, data(.s2c, ByteBuffer(repeating: 7, count: 12))),
            (1, .note(Self.awkward)),
            (1, .note("")),
            (1, .captureError(Self.awkward)),
            (1, .eof(.c2s)),
            (1, .shutdown(.c2s)),
            (1, .readError(.s2c, Self.awkward)),
            (1, .writeError(.c2s, "broken pipe")),
            (1, .eof(.s2c)),
            (
                1,
                .close(
                    c2s: Stats(
                        readBytes: 123_456_789_012, readOps: 7, writeBytes: 5, writeOps: 3,
                        duration: .microseconds(1_234_567)),
                    s2c: Stats(
                        readBytes: 14, readOps: 3, writeBytes: 14, writeOps: 3, duration: .seconds(86_400)))
            ),
            (2, .open(client: .unix(path: ""), target: .unix(path: "/tmp/a \"b\"\n\\c é"))),
            (2, data(.s2c, ByteBuffer(string: "unix"))),
            (2, .close(c2s: Stats(), s2c: Stats(readBytes: 4, readOps: 1, writeBytes: 4, writeOps: 1))),
            (3, .open(client: .ip(host: "10.0.0.1", port: 0), target: .unix(path: "/run/x.sock"))),
            (
                4,
                .connectError(
                    client: .ip(host: "2001:db8::7", port: 65_535),
                    target: .ip(host: "2001:db8::1", port: 80),
                    error: Self.awkward)
            ),
            (4, closed),
            (
                5,
                .connectError(client: .unix(path: ""), target: .unix(path: "/tmp/gone.sock"), error: "ENOENT")
            ),
        ])
        let path = directory.file("kinds.pcapng")
        _ = try writeCapture(events, to: path)
        let read = try CaptureReader.read(path: path)
        let expected = expectedSessions(events)
        for (got, want) in zip(read.flatMap(\.events), expected.flatMap(\.events)) where got != want {
            Issue.record("got \(got)\nwant \(want)")
            break
        }
        #expect(read == expected)
        // Every kind a capture keeps was tried (listening and held write nothing).
        let names = Set(read.flatMap { $0.events.map(\.kind.name) })
        #expect(
            names
                == [
                    "open", "connect_error", "data", "eof", "shutdown", "read_error", "write_error", "pause",
                    "resume", "step", "fault", "edit", "drop", "inject", "rewrite", "capture_error", "close",
                    "note",
                ])
        #expect(
            read.map(\.client) == [
                .ip(host: "::1", port: 50_000), .unix(path: ""), .ip(host: "10.0.0.1", port: 0),
                .ip(host: "2001:db8::7", port: 65_535), .unix(path: ""),
            ])
    }

    @Test("a version 1 capture still reads; its close statistics are rebuilt from the data")
    func versionOne() throws {
        var capture = HandMadeCapture()
        let t0: UInt64 = 1_700_000_000_000_000_000
        let one = (WireEndpoint(host: "127.0.0.1", port: 5)!, WireEndpoint(host: "127.0.0.3", port: 1025)!)
        var tcp1 = TCPConversation(session: 1, client: one.0, server: one.1)
        let two = (WireEndpoint(host: "::1", port: 7)!, WireEndpoint(host: "::1", port: 8)!)
        var tcp2 = TCPConversation(session: 2, client: two.0, server: two.1)
        func send(_ tcp: inout TCPConversation, _ direction: Direction, _ bytes: [UInt8], _ time: UInt64) {
            capture.tcp { out in
                bytes.withUnsafeBytes { tcp.data(from: .init(sending: direction), $0, at: time, into: &out) }
            }
        }
        let big = [UInt8](repeating: 0x5a, count: 100_000)

        capture.tcp { tcp1.handshake(at: t0, comment: "", into: &$0) }
        capture.record(
            #"{"client":{"ip":"127.0.0.1","port":5},"event":"open","server":{"unix":"/tmp/s"},"#
                + #""session":1,"tcp":{"client":"127.0.0.1:5","server":"127.0.0.3:1025"},"v":1}"#, at: t0)
        send(&tcp1, .c2s, Array("hello".utf8), t0 + 10)
        capture.tcp { tcp2.handshake(at: t0 + 15, comment: "", into: &$0) }
        capture.record(
            #"{"client":{"ip":"::1","port":7},"event":"open","server":{"ip":"::1","port":8},"#
                + #""session":2,"tcp":{"client":"[::1]:7","server":"[::1]:8"},"v":1}"#, at: t0 + 15)
        send(&tcp1, .s2c, big, t0 + 20)
        send(&tcp2, .c2s, Array("abc".utf8), t0 + 25)
        send(&tcp1, .c2s, Array("bye".utf8), t0 + 30)
        send(&tcp2, .c2s, Array("defg".utf8), t0 + 35)
        capture.record(
            #"{"event":"note","session":1,"text":"c2s edit: \"x\"\nsent 3 bytes","v":1}"#, at: t0 + 40)
        capture.record(
            #"{"dir":"c2s","event":"write_error","error":"broken pipe","session":2,"v":1}"#, at: t0 + 45)
        capture.tcp { tcp1.fin(from: .client, at: t0 + 50, into: &$0) }
        capture.record(#"{"dir":"c2s","event":"shutdown","session":1,"v":1}"#, at: t0 + 50)
        capture.record(#"{"event":"close","session":1,"v":1}"#, at: t0 + 60)
        capture.record(#"{"event":"close","session":2,"v":1}"#, at: t0 + 65)
        capture.record(
            #"{"error":"connection refused","event":"connect_error","server":{"ip":"10.0.0.1","port":80},"#
                + #""session":3,"v":1}"#, at: t0 + 70)

        let sessions = try CaptureReader.read(bytes: capture.bytes, name: "v1.pcapng")
        func stats(_ read: Int, _ reads: Int, _ written: Int, _ writes: Int, _ ns: Int64) -> Stats {
            Stats(
                readBytes: read, readOps: reads, writeBytes: written, writeOps: writes,
                duration: .nanoseconds(ns))
        }
        let expected = [
            CapturedSession(
                id: 1, client: nil, server: nil,
                events: [
                    SessionEvent(
                        conn: 1,
                        .open(client: .ip(host: "127.0.0.1", port: 5), target: .unix(path: "/tmp/s")),
                        time: t0),
                    SessionEvent(
                        conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "hello")), time: t0 + 10),
                    SessionEvent(
                        conn: 1, .data(.s2c, offset: 0, bytes: ByteBuffer(bytes: big)), time: t0 + 20),
                    SessionEvent(
                        conn: 1, .data(.c2s, offset: 5, bytes: ByteBuffer(string: "bye")), time: t0 + 30),
                    SessionEvent(conn: 1, .note("c2s edit: \"x\"\nsent 3 bytes"), time: t0 + 40),
                    SessionEvent(conn: 1, .shutdown(.c2s), time: t0 + 50),
                    SessionEvent(
                        conn: 1, .close(c2s: stats(8, 2, 8, 2, 60), s2c: stats(100_000, 1, 100_000, 1, 60)),
                        time: t0 + 60),
                ]),
            CapturedSession(
                id: 2, client: nil, server: nil,
                events: [
                    SessionEvent(
                        conn: 2, .open(client: .ip(host: "::1", port: 7), target: .ip(host: "::1", port: 8)),
                        time: t0 + 15),
                    SessionEvent(
                        conn: 2, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "abc")), time: t0 + 25),
                    SessionEvent(
                        conn: 2, .data(.c2s, offset: 3, bytes: ByteBuffer(string: "defg")), time: t0 + 35),
                    SessionEvent(conn: 2, .writeError(.c2s, "broken pipe"), time: t0 + 45),
                    // The chunk whose write failed was read, not written.
                    SessionEvent(
                        conn: 2, .close(c2s: stats(7, 2, 3, 1, 50), s2c: stats(0, 0, 0, 0, 50)), time: t0 + 65
                    ),
                ]),
            CapturedSession(
                id: 3, client: nil, server: nil,
                events: [
                    SessionEvent(
                        conn: 3,
                        .connectError(
                            client: .unix(path: "(unknown)"), target: .ip(host: "10.0.0.1", port: 80),
                            error: "connection refused"),
                        time: t0 + 70)
                ]),
        ]
        for (got, want) in zip(sessions.flatMap(\.events), expected.flatMap(\.events)) where got != want {
            Issue.record("got \(got)\nwant \(want)")
            break
        }
        #expect(sessions == expected)
        #expect(
            sessions.map(\.server) == [
                .unix(path: "/tmp/s"), .ip(host: "::1", port: 8), .ip(host: "10.0.0.1", port: 80),
            ])
    }

    @Test(
        "a record with a bad field is a malformed capture naming the packet",
        arguments: [
            (
                #"{"v":2,"t":1.5,"event":"data","conn":1,"dir":"c2s","offset":-1,"bytes":1,"hex":"00"}"#,
                "event data: invalid offset: offset must not be negative"
            ),
            (
                #"{"v":2,"t":1.5,"event":"data","conn":1,"dir":"c2s","offset":0,"bytes":1}"#,
                "event data: without hex"
            ),
            (
                #"{"v":2,"t":1.5,"event":"teleport","conn":1}"#,
                #"event teleport: invalid event: unknown event "teleport""#
            ),
            (
                #"{"v":2,"t":1.5,"event":"edit","conn":1,"dir":"c2s","original_bytes":2,"original_sha256":"ab","#
                    + #""bytes":1,"original_hex":"zz"}"#,
                "event edit: invalid original_hex: original_hex is not hex"
            ),
            (
                #"{"v":2,"t":1.5,"event":"drop","conn":1,"dir":"s2c","bytes":2,"sha256":"ab","hex":"abc"}"#,
                "event drop: invalid hex: hex is not hex"
            ),
            (#"{"v":2,"t":1.5,"event":"pause","dir":"c2s"}"#, "event pause without conn"),
            (#"{"v":2,"event":"bind"}"#, "event bind without conn"),
            (#"{"v":2,"t":1.5,"event":"pause","conn":1}"#, "event pause: without dir"),
            (
                #"{"v":2,"t":1.5,"event":"inject","conn":1,"dir":"c2s","bytes":"5"}"#,
                "event inject: invalid bytes"
            ),
            (
                #"{"v":2,"t":-1,"event":"pause","conn":1,"dir":"c2s"}"#,
                "event pause: invalid t: seconds must be a number from 0 to 18446744073.709551615, not -1"
            ),
            (
                #"{"v":2,"t":1.5,"event":"close","conn":1,"c2s":{"read_bytes":-1,"read_ops":0,"write_bytes":0,"#
                    + #""write_ops":0,"duration_s":0},"s2c":{"read_bytes":0,"read_ops":0,"write_bytes":0,"#
                    + #""write_ops":0,"duration_s":0}}"#,
                "event close: invalid c2s.read_bytes: read_bytes must not be negative"
            ),
            (
                #"{"v":2,"t":1.5,"event":"close","conn":1,"c2s":{"read_bytes":0,"read_ops":0,"write_bytes":0,"#
                    + #""write_ops":0,"duration_s":0}}"#,
                "event close: without s2c"
            ),
            (
                #"{"v":2,"t":1.5,"event":"open","conn":1,"client":"1.2.3.4:5","target":"nowhere"}"#,
                "event open: invalid target: target is not HOST:PORT"
            ),
            (
                #"{"v":2,"t":1.5,"event":"open","conn":1,"client":"1.2.3.4:5","target":"1.2.3.4:6","#
                    + #""tcp":{"client":"1.2.3.4:5","server":"x"}}"#,
                "event open with invalid tcp endpoints"
            ),
            (#"{"v":2,"t":1.5,"event":"pause","conn":"1","dir":"c2s"}"#, "not a flowtap event"),
            (#"{"v":2,"t":1.5,"event":"note","conn":1,"text":"x""#, "not a flowtap event"),
            (#"{"v":0,"event":"note","conn":1,"text":"x"}"#, "unsupported event payload version 0"),
            (#"{"v":1,"session":1,"event":"pause"}"#, "event pause without a valid dir"),
            (#"{"v":1,"session":1,"event":"teleport"}"#, #"unknown event "teleport""#),
            (#"{"v":1,"event":"note","text":"x"}"#, "not a flowtap event"),
            (
                #"{"v":1,"session":1,"event":"open","client":{"ip":"::1","port":70000},"server":{"unix":"/s"}}"#,
                "event open without a valid client"
            ),
        ])
    func badField(json: String, reason: String) throws {
        var capture = HandMadeCapture()
        capture.record(#"{"v":2,"t":1.0,"event":"pause","conn":1,"dir":"c2s"}"#, at: 1_000_000_000)
        let (number, offset) = capture.record(json, at: 1_500_000_000)
        let expected = CaptureError(
            .malformed, path: "bad.pcapng",
            reason: "corrupt event payload in packet \(number) at offset \(offset): \(reason)")
        #expect(throws: expected) { try CaptureReader.read(bytes: capture.bytes, name: "bad.pcapng") }
    }

    @Test("long texts are clipped with \"…\"; edited and dropped originals are kept up to 96 KiB")
    func clipping() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let limit = EventRecord.maxText
        #expect(limit == 32 * 1024 && EventRecord.maxKeptBytes == 96 * 1024)
        let ascii = String(repeating: "x", count: 40 * 1024)
        let twoByte = "a" + String(repeating: "é", count: 20 * 1024)  // 40 KiB + 1 in UTF-8
        let exact = String(repeating: "y", count: limit)
        let kept = ByteBuffer(bytes: (0..<EventRecord.maxKeptBytes).map { UInt8(truncatingIfNeeded: $0) })
        let tooBig = ByteBuffer(
            bytes: (0..<EventRecord.maxKeptBytes + 1).map { UInt8(truncatingIfNeeded: $0) })
        let huge = ByteBuffer(repeating: 0xab, count: 200 * 1024)
        let digest = Self.digest
        let events = timed([
            (1, .open(client: .unix(path: ""), target: .unix(path: "/s"))),
            (1, .readError(.c2s, ascii)),
            (1, .writeError(.s2c, twoByte)),
            (1, .note(exact)),
            (1, .drop(.c2s, bytes: huge.readableBytes, sha256: digest, original: huge)),
            (
                1,
                .edit(
                    .s2c, originalBytes: kept.readableBytes, originalSHA256: digest, bytes: 1, original: kept)
            ),
            (1, data(.s2c, ByteBuffer(string: "!"))),
            (1, .drop(.s2c, bytes: tooBig.readableBytes, sha256: digest, original: tooBig)),
            (2, .connectError(client: .unix(path: ""), target: .unix(path: "/s"), error: ascii)),
        ])
        let path = directory.file("clip.pcapng")
        _ = try writeCapture(events, to: path)
        var want = expectedSessions(events)
        want[0].events[1].kind = .readError(.c2s, String(repeating: "x", count: limit) + "…")
        // Cut at a character boundary: 1 + 2 × 16383 bytes, the next "é" would pass the limit.
        want[0].events[2].kind = .writeError(.s2c, "a" + String(repeating: "é", count: limit / 2 - 1) + "…")
        want[0].events[4].kind = .drop(.c2s, bytes: 200 * 1024, sha256: digest, original: nil)
        want[0].events[7].kind = .drop(.s2c, bytes: tooBig.readableBytes, sha256: digest, original: nil)
        want[1].events[0].kind = .connectError(
            client: .unix(path: ""), target: .unix(path: "/s"),
            error: String(repeating: "x", count: limit) + "…")
        let read = try CaptureReader.read(path: path)
        for (got, wanted) in zip(read.flatMap(\.events), want.flatMap(\.events)) where got != wanted {
            Issue.record(
                "got \(String(describing: got).prefix(300))\nwant \(String(describing: wanted).prefix(300))")
        }
        #expect(read == want)
        // Wireshark opens it: no packet over its limit, nothing malformed.
        #expect(
            try await tshark(["-r", path, "-Y", "_ws.malformed || _ws.expert.severity >= 0x00800000"]) == "")
    }
}

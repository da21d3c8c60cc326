import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

/// tshark as the independent judge of what the writer produces.
@Suite("tshark reads the captures", .leavesNoProcesses)
struct CaptureTsharkTests {
    /// Three sessions (IPv4, IPv6, Unix) with random chunks both ways, clean half-closes.
    private static func cleanSessions() -> [SessionEvent] {
        var random = SeededRandom(seed: 42)
        var events: [(Int?, SessionEvent.Kind)] = [
            (
                1,
                .open(
                    client: .ip(host: "127.0.0.1", port: 53_422), target: .ip(host: "127.0.0.1", port: 6379))
            ),
            (2, .open(client: .ip(host: "::1", port: 53_430), target: .ip(host: "::1", port: 8080))),
            (3, .open(client: .unix(path: ""), target: .unix(path: "/tmp/redis.sock"))),
        ]
        for _ in 0..<40 {
            let session = 1 + Int(random.next() % 3)
            let direction: Direction = random.next() % 2 == 0 ? .c2s : .s2c
            events.append((session, data(direction, Scenario.chunk(&random))))
        }
        for session in 1...3 {
            let first: Direction = session == 2 ? .s2c : .c2s
            events += [(session, .eof(first)), (session, .shutdown(first))]
            events.append((session, data(first.reversed, ByteBuffer(string: "after half-close \(session)"))))
            events += [
                (session, .eof(first.reversed)), (session, .shutdown(first.reversed)),
                (session, Scenario.closeKind(&random)),
            ]
        }
        return timed(events)
    }

    @Test("follow,tcp,raw gives back each direction byte for byte")
    func followGivesBackTheBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Self.cleanSessions()
        let path = directory.file("follow.pcapng")
        _ = try writeCapture(events, to: path)
        for session in 1...3 {
            guard let text = try await tshark(["-r", path, "-q", "-z", "follow,tcp,raw,\(session - 1)"])
            else {
                return
            }
            let got = parseFollow(text)
            let want = streamBytes(events, session: session)
            #expect(got[.c2s]!.count == want[.c2s]!.count, "session \(session) c2s")
            #expect(got[.s2c]!.count == want[.s2c]!.count, "session \(session) s2c")
            #expect(got == want, "session \(session)")
        }
    }

    @Test("a clean capture has no tcp.analysis.flags and valid checksums")
    func cleanCaptureHasNoAnalysisFlags() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clean.pcapng")
        _ = try writeCapture(Self.cleanSessions(), to: path)
        #expect(try await tshark(["-r", path, "-Y", "tcp.analysis.flags"]) == "")
        let checks = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]
        let filter = "(tcp && tcp.checksum.status != 1) || (ip && ip.checksum.status != 1)"
        #expect(try await tshark(["-r", path] + checks + ["-Y", filter]) == "")
        // …and the checksums were really verified.
        let good = try await tshark(["-r", path] + checks + ["-Y", "tcp.checksum.status == 1"]) ?? ""
        #expect(good.split(separator: "\n").count > 50)
    }

    @Test("FIN and RST come from the right side; comments are frame.comment")
    func finRstAndComments() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let client = PeerAddress.ip(host: "10.0.0.1", port: 40_001)
        let server = PeerAddress.ip(host: "10.0.0.2", port: 80)
        let events = timed([
            (1, .open(client: client, target: server)),
            (1, data(.c2s, ByteBuffer(string: "ping"))),
            (1, .eof(.c2s)),
            (1, .shutdown(.c2s)),  // FIN from the client
            (1, data(.s2c, ByteBuffer(string: "pong"))),
            (1, .writeError(.s2c, "connection reset by peer")),  // writing to the client failed: RST from it
            (1, .readError(.s2c, "connection timed out")),  // reading from the server failed: RST from it
            (1, .pause(.c2s)),
            (1, closed),
        ])
        let path = directory.file("finrst.pcapng")
        _ = try writeCapture(events, to: path)
        let fields = ["-T", "fields", "-e", "tcp.flags.fin", "-e", "tcp.flags.reset", "-e", "ip.src"]
        guard let fin = try await tshark(["-r", path, "-Y", "tcp.flags.fin == 1"] + fields) else { return }
        #expect(fin == "1\t0\t10.0.0.1\n")
        guard let rst = try await tshark(["-r", path, "-Y", "tcp.flags.reset == 1"] + fields) else { return }
        #expect(rst == "0\t1\t10.0.0.1\n0\t1\t10.0.0.2\n")
        // epb_flags: the client's packets inbound (01), the server's outbound (10).
        let directions =
            try await tshark([
                "-r", path, "-Y", "tcp", "-T", "fields", "-e", "ip.src", "-e", "frame.packet_flags_direction",
            ]) ?? ""
        let pairs = Set(directions.split(separator: "\n").map(String.init))
        #expect(pairs == ["10.0.0.1\t0x00000001", "10.0.0.2\t0x00000002"])
        let commentFields = ["-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"]
        guard let comments = try await tshark(["-r", path] + commentFields) else { return }
        let lines = comments.split(separator: "\n").map(String.init)
        #expect(lines.contains("flowtap #1: open 10.0.0.1:40001 → 10.0.0.2:80"))
        #expect(lines.contains("flowtap #1 c2s: EOF from the client"))
        #expect(lines.contains("flowtap #1 s2c: write error: connection reset by peer"))
        #expect(lines.contains("flowtap #1 s2c: read error: connection timed out"))
        #expect(lines.contains("flowtap #1 c2s: paused"))
        #expect(lines.contains("flowtap #1: close"))
        // The SYN carries the open comment as well.
        let syn = try await tshark([
            "-r", path, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e",
            "frame.comment",
        ])
        #expect(syn == "flowtap #1: open 10.0.0.1:40001 → 10.0.0.2:80\n")
        // An error session is flagged by tshark only for its resets, never for the data.
        let flagged = try await tshark(["-r", path, "-Y", "tcp.analysis.flags && !tcp.flags.reset"])
        #expect(flagged == "")
    }

    @Test("event packets are dissected as JSON; a clean capture has no warnings at all")
    func eventsAreJSON() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let clean = directory.file("clean.pcapng")
        _ = try writeCapture(Self.cleanSessions(), to: clean)
        #expect(try await tshark(["-r", clean, "-Y", "_ws.expert.severity >= 0x00600000"]) == "")
        #expect(try await tshark(["-r", clean, "-Y", "_ws.malformed"]) == "")
        let closes = try await tshark(["-r", clean, "-Y", "json.member_with_value == \"event:close\""]) ?? ""
        #expect(closes.split(separator: "\n").count == 3)

        let path = directory.file("events.pcapng")
        _ = try writeCapture(
            timed([
                (4, .open(client: .ip(host: "127.0.0.1", port: 5), target: .unix(path: "/tmp/s"))),
                (4, .writeError(.c2s, "broken pipe")),
            ]), to: path)
        let fields = ["-T", "fields", "-e", "frame.comment", "-e", "json.value.string"]
        let text = try await tshark(["-r", path, "-Y", "json.value.string == \"write_error\""] + fields)
        #expect(text == "flowtap #4 c2s: write error: broken pipe\twrite_error,c2s,broken pipe\n")
        let protocols = try await tshark(["-r", path, "-Y", "json", "-T", "fields", "-e", "_ws.col.Protocol"])
        #expect(protocols == "flowtap/JSON\nflowtap/JSON\n")
    }

    @Test("very long texts are cut, so that Wireshark still opens the capture")
    func longTextsAreCut() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let long = String(repeating: "\u{1}é", count: 100_000)
        let path = directory.file("long.pcapng")
        _ = try writeCapture(
            timed([
                (
                    1,
                    .open(
                        client: .unix(path: String(repeating: "p", count: 10_000)), target: .unix(path: "/s"))
                ),
                (1, .note(long)), (1, .readError(.c2s, long)),
            ]), to: path)
        let sessions = try CaptureReader.read(path: path)
        let events = try #require(sessions.first?.events)
        guard case .note(let note) = events[1].kind, case .readError(.c2s, let error) = events[2].kind,
            case .open(.unix(let client), _) = events[0].kind
        else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(note == error)
        #expect(note.hasSuffix("…") && note.utf8.count <= EventRecord.maxText + 3)
        #expect(long.hasPrefix(note.dropLast()))
        #expect(client.utf8.count == EventRecord.maxAddress + 3)
        let lines = try await tshark(["-r", path, "-T", "fields", "-e", "frame.number"]) ?? ""
        #expect(lines.split(separator: "\n").count == 7)  // handshake, open, note, RST, read error
    }

    @Test("an HTTP exchange is dissected as HTTP")
    func httpIsDissected() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let body = "hello, world\n"
        let events = timed([
            (
                1,
                .open(client: .ip(host: "127.0.0.1", port: 51_000), target: .ip(host: "127.0.0.1", port: 80))
            ),
            (1, data(.c2s, ByteBuffer(string: "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n"))),
            (
                1,
                data(
                    .s2c, ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n"))
            ),
            (1, data(.s2c, ByteBuffer(string: body))),
            (1, .eof(.c2s)), (1, .shutdown(.c2s)), (1, .eof(.s2c)), (1, .shutdown(.s2c)), (1, closed),
        ])
        let path = directory.file("http.pcapng")
        _ = try writeCapture(events, to: path)
        let fields = [
            "-T", "fields", "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code",
        ]
        guard let text = try await tshark(["-r", path, "-Y", "http"] + fields) else { return }
        #expect(text == "GET\t/index.html\t\n\t\t200\n")
    }

    @Test("tcpdump-style pcap exported by tshark is read back as TCP sessions")
    func foreignPcapFromTshark() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = Self.cleanSessions()
        let path = directory.file("ours.pcapng")
        _ = try writeCapture(events, to: path)
        // tshark keeps the event interface in pcapng; editcap makes it a plain raw-IP pcap.
        let tcpOnly = directory.file("tcp.pcapng")
        let exported = directory.file("tcp.pcap")
        guard try await tshark(["-r", path, "-Y", "tcp", "-w", tcpOnly]) != nil,
            try await wiresharkTool("editcap", ["-F", "pcap", "-T", "rawip", tcpOnly, exported]) != nil
        else { return }
        let sessions = try CaptureReader.read(path: exported)
        #expect(sessions.count == 3)
        for session in sessions {
            var bytes: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
            var shutdowns: [Direction] = []
            for event in session.events {
                if case .data(let direction, _, let buffer) = event.kind {
                    bytes[direction]! += buffer.readableBytesView
                }
                if case .shutdown(let direction) = event.kind { shutdowns.append(direction) }
            }
            #expect(bytes == streamBytes(events, session: session.id), "session \(session.id)")
            #expect(shutdowns.count == 2)
        }
        #expect(sessions[0].client == .ip(host: "127.0.0.1", port: 53_422))
        #expect(sessions[1].server == .ip(host: "::1", port: 8080))
    }
}

import FlowCore
import FlowEvents
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowCapture

/// A small seeded generator (SplitMix64), so a failing case can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/flowcapture-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes `events` to a new capture, one ``CaptureWriter/write(_:)-(SessionEvent)`` each, and
/// returns its bytes.
func writeCapture(_ events: [SessionEvent], to path: String) throws -> [UInt8] {
    let writer = try CaptureWriter(path: path)
    for event in events { try writer.write(event) }
    try writer.flush()
    try writer.close()
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// `events` with the offset of every `data` event recomputed: the bytes of the same session and
/// direction before it (what a reader gives back; the writer ignores the offsets it is given).
func withOffsets(_ events: [SessionEvent]) -> [SessionEvent] {
    struct Stream: Hashable {
        var conn: Int?
        var direction: Direction
    }
    var sent: [Stream: Int] = [:]
    return events.map { event in
        guard case .data(let direction, _, let bytes) = event.kind else { return event }
        let stream = Stream(conn: event.conn, direction: direction)
        var out = event
        out.kind = .data(direction, offset: sent[stream, default: 0], bytes: bytes)
        sent[stream, default: 0] += bytes.readableBytes
        return out
    }
}

/// The sessions a reader should give back for `events`: grouped by session, ordered by id, data
/// offsets recomputed; events of no session and `held` are not written. The client and server
/// are worked out here rather than by `CapturedSession.append`, so that rule has an oracle of
/// its own.
func expectedSessions(_ events: [SessionEvent]) -> [CapturedSession] {
    var grouped: [Int: [SessionEvent]] = [:]
    var peers: [Int: (client: PeerAddress, server: PeerAddress)] = [:]
    for event in withOffsets(events) {
        guard let conn = event.conn else { continue }
        switch event.kind {
        case .held: continue
        case .open(let client, let server), .connectError(let client, let server, _):
            peers[conn] = (client, server)
        default: break
        }
        grouped[conn, default: []].append(event)
    }
    return grouped.keys.sorted().map { conn in
        var session = CapturedSession(id: conn, client: nil, server: nil, events: grouped[conn]!)
        session.client = peers[conn]?.client
        session.server = peers[conn]?.server
        return session
    }
}

/// The bytes of each direction of `events` for one session.
func streamBytes(_ events: [SessionEvent], session: Int) -> [Direction: [UInt8]] {
    var out: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
    for event in events where event.conn == session {
        if case .data(let direction, _, let buffer) = event.kind {
            out[direction]! += Array(buffer.readableBytesView)
        }
    }
    return out
}

/// A chunk of data whose offset is left to the writer to ignore (and to ``withOffsets(_:)``).
func data(_ direction: Direction, _ bytes: ByteBuffer) -> SessionEvent.Kind {
    .data(direction, offset: 0, bytes: bytes)
}

/// A `close` with no statistics.
let closed = SessionEvent.Kind.close(c2s: Stats(), s2c: Stats())

/// Events with increasing times (1 µs + 1 ns apart) from a list of (session, kind).
func timed(_ events: [(Int?, SessionEvent.Kind)], start: UInt64 = 1_764_000_000_123_456_789) -> [SessionEvent]
{
    var time = start
    return events.map { conn, kind in
        time += 1_001
        return SessionEvent(conn: conn, kind, time: time)
    }
}

/// Runs tshark with a bounded wait; records an issue (and returns nil) when it is missing or fails.
func tshark(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String?
{
    try await wiresharkTool("tshark", arguments, sourceLocation: sourceLocation)
}

/// Runs a Wireshark command-line tool (`tshark`, `editcap`) with a bounded wait (never blocking a
/// thread: the cooperative pool has as many threads as cores, two here); records an issue (and
/// returns nil) when it is missing or fails.
func wiresharkTool(_ tool: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation)
    async throws -> String?
{
    let candidates = ["/usr/bin/", "/usr/local/bin/", "/opt/homebrew/bin/"].map { $0 + tool }
    guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
        Issue.record(
            "\(tool) not found (looked in \(candidates)); install it: apt-get install tshark",
            sourceLocation: sourceLocation)
        return nil
    }
    let child = try ChildProcess(executable, arguments, error: .discard)
    guard let status = try await child.waitForExit(timeout: .seconds(60)) else {
        child.stop()
        Issue.record("\(tool) \(arguments) did not finish within 60 s", sourceLocation: sourceLocation)
        return nil
    }
    let text = child.standardOutput
    guard status == 0 else {
        Issue.record("\(tool) \(arguments) exited with \(status): \(text)", sourceLocation: sourceLocation)
        return nil
    }
    return text
}

/// Parses `tshark -q -z follow,tcp,raw,N`: client chunks flush left, the server's after a tab.
func parseFollow(_ text: String) -> [Direction: [UInt8]] {
    var out: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
    var inData = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("Node 1:") {
            inData = true
            continue
        }
        guard inData else { continue }
        if line.hasPrefix("=====") { break }
        let direction: Direction = line.hasPrefix("\t") ? .s2c : .c2s
        let hex = Array(line.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        while index + 1 < hex.count {
            let pair = String(decoding: hex[index...index + 1], as: UTF8.self)
            out[direction]!.append(UInt8(pair, radix: 16)!)
            index += 2
        }
    }
    return out
}

/// The first index where `a` and `b` differ, within their common length (`nil` if none): a
/// comparison of files of megabytes whose failure message does not print them.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] }
}

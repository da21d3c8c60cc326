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

/// Writes `records` to a new capture and returns its bytes.
func writeCapture(_ records: [CaptureRecord], to path: String) throws -> [UInt8] {
    let writer = try CaptureWriter(path: path)
    for record in records { try writer.write(record) }
    try writer.flush()
    try writer.close()
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The sessions a reader should give back for `records`: grouped by session, ordered by id.
/// Written out here rather than calling `CapturedSession.append`, so the client/server rule has
/// an oracle of its own.
func expectedSessions(_ records: [CaptureRecord]) -> [CapturedSession] {
    var sessions: [Int: CapturedSession] = [:]
    for record in records {
        var session =
            sessions[record.session]
            ?? CapturedSession(id: record.session, client: nil, server: nil, records: [])
        switch record.event {
        case .open(let client, let server):
            session.client = client
            session.server = server
        case .connectError(let client, let server, _):
            session.client = client ?? session.client
            session.server = server
        default:
            break
        }
        session.records.append(record)
        sessions[record.session] = session
    }
    return sessions.values.sorted { $0.id < $1.id }
}

/// The bytes of each direction of `records` for one session.
func streamBytes(_ records: [CaptureRecord], session: Int) -> [CaptureDirection: [UInt8]] {
    var out: [CaptureDirection: [UInt8]] = [.c2s: [], .s2c: []]
    for record in records where record.session == session {
        if case .data(let direction, let buffer) = record.event {
            out[direction]! += Array(buffer.readableBytesView)
        }
    }
    return out
}

/// Records with increasing timestamps (1 µs + 1 ns apart) from a list of (session, event).
func timed(_ events: [(Int, CaptureEvent)], start: UInt64 = 1_764_000_000_123_456_789) -> [CaptureRecord] {
    var time = start
    return events.map { session, event in
        time += 1_001
        return CaptureRecord(session: session, timestamp: time, event: event)
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
func parseFollow(_ text: String) -> [CaptureDirection: [UInt8]] {
    var out: [CaptureDirection: [UInt8]] = [.c2s: [], .s2c: []]
    var inData = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("Node 1:") {
            inData = true
            continue
        }
        guard inData else { continue }
        if line.hasPrefix("=====") { break }
        let direction: CaptureDirection = line.hasPrefix("\t") ? .s2c : .c2s
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

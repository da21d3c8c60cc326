import Foundation
import Synchronization
import TestSupport
import Testing

/// The real `flowtap` binary, run as a ``ChildProcess`` (no inherited descriptor, killed with
/// the test process, reported if it outlives its test) with its stdout read line by line.
final class FlowtapProcess: Sendable {
    let child: ChildProcess

    /// The built binary (see ``Machine/flowtapBinary``).
    static var binary: String { Machine.flowtapBinary }

    init(
        _ arguments: [String], executable: String = FlowtapProcess.binary, input: ChildProcess.Input = .null
    ) throws {
        child = try ChildProcess(executable, arguments, input: input)
    }

    /// The complete lines printed so far.
    var output: [String] { child.outputLines }
    var stderr: String { child.standardError }
    var pid: Int32 { child.pid }

    /// The JSON objects printed so far (with `--json`).
    var events: [[String: Any]] {
        output.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Waits (bounded) until a printed line satisfies `predicate`, and returns it.
    @discardableResult
    func waitForLine(
        timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation, _ predicate: (String) -> Bool
    ) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let line = output.first(where: predicate) { return line }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record(
            "no matching line within \(timeout) s; output:\n\(output.suffix(30).joined(separator: "\n"))\nstderr: \(stderr)",
            sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// Waits until the JSON events satisfy `predicate`.
    func waitForEvents(
        timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
        _ predicate: ([[String: Any]]) -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if predicate(events) { return }
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record(
            "events never matched; last:\n\(output.suffix(30).joined(separator: "\n"))",
            sourceLocation: sourceLocation)
        throw CancellationError()
    }

    /// The real port from the first line (`listening`).
    func listeningPort() async throws -> Int {
        let line = try await waitForLine { $0.contains("\"listening\"") }
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let address = object["address"] as! String
        return Int(address.split(separator: ":").last!)!
    }

    /// Waits (bounded) for the process to exit and returns its status, once its output is all
    /// read; kills it on timeout (an issue).
    func waitExit(timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> Int32
    {
        guard let status = try await child.waitForExit(timeout: .seconds(timeout)) else {
            child.stop()
            Issue.record("flowtap did not exit within \(timeout) s", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return status
    }

    func signal(_ number: Int32) { child.signal(number) }

    /// Open file descriptors of the process.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}

/// Runs a command to completion (bounded) and returns its status and output (see
/// ``ChildProcess/run(_:_:input:timeout:sourceLocation:)``).
func runCommand(
    _ path: String, _ arguments: [String], timeout: Double = 60,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> (status: Int32, out: String, err: String) {
    try await ChildProcess.run(path, arguments, timeout: .seconds(timeout), sourceLocation: sourceLocation)
}

/// The events of one session with the given name.
func named(_ events: [[String: Any]], _ name: String, conn: Int? = nil) -> [[String: Any]] {
    events.filter { $0["event"] as? String == name && (conn == nil || $0["conn"] as? Int == conn) }
}

/// The events of decoding (`--decode`, on by default as `auto`): left out of ``sequence(_:conn:decoding:)``
/// unless asked for (their order is checked by MessageTests).
let decodingEvents: Set<String> = ["decoder", "message", "decode_error"]

/// The order of (event, dir) pairs of one session, for ordering assertions; the events of
/// decoding only with `decoding`.
func sequence(_ events: [[String: Any]], conn: Int, decoding: Bool = false) -> [String] {
    events.filter {
        $0["conn"] as? Int == conn && (decoding || !decodingEvents.contains($0["event"] as? String ?? ""))
    }.map { event in
        let name = event["event"] as! String
        if let dir = event["dir"] as? String { return "\(name) \(dir)" }
        return name
    }
}

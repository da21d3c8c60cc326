import Foundation
import Synchronization
import TestSupport
import Testing

/// The real `flowtap` binary, run as a child process with its stdout read line by line.
final class FlowtapProcess: Sendable {
    let process: Process
    private let lines = Mutex<[String]>([])
    private let errText = Mutex("")
    private let outDone = Mutex(false)

    /// The built binary (see ``Machine/flowtapBinary``).
    static var binary: String { Machine.flowtapBinary }

    init(_ arguments: [String], executable: String = FlowtapProcess.binary) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Foundation.Pipe()
        let err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outHandle = out.fileHandleForReading
        let errHandle = err.fileHandleForReading
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let data = outHandle.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0a) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.withLock { $0.append(line) }
                }
            }
            outDone.withLock { $0 = true }
        }
        Thread.detachNewThread { [self] in
            while true {
                let data = errHandle.availableData
                if data.isEmpty { break }
                errText.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var output: [String] { lines.withLock { $0 } }
    var stderr: String { errText.withLock { $0 } }
    var pid: Int32 { process.processIdentifier }

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
        while Date() < deadline {
            if let line = output.first(where: predicate) { return line }
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
        while Date() < deadline {
            if predicate(events) { return }
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

    /// Waits (bounded) for the process to exit and returns its status; kills it on timeout.
    func waitExit(timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> Int32
    {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.terminate()
            kill(pid, SIGKILL)
            Issue.record("flowtap did not exit within \(timeout) s", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        // Let the reader threads drain what is left.
        for _ in 0..<100 where !outDone.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Open file descriptors of the process.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs a command to completion (bounded) and returns its status and output. It waits with
/// `Task.sleep`, never blocking a thread of the test process's cooperative pool (where the
/// tests' own servers run).
func runCommand(_ path: String, _ arguments: [String], timeout: Double = 60) async throws -> (
    status: Int32, out: String, err: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Foundation.Pipe()
    let err = Foundation.Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    final class Sink: Sendable { let data = Mutex(Data()) }
    let outData = Sink()
    let errData = Sink()
    let group = DispatchGroup()
    for (handle, sink) in [(out.fileHandleForReading, outData), (err.fileHandleForReading, errData)] {
        group.enter()
        Thread.detachNewThread {
            let data = handle.readDataToEndOfFile()
            sink.data.withLock { $0 = data }
            group.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
    if process.isRunning {
        process.terminate()
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    _ = group.wait(timeout: .now() + 5)
    return (
        process.terminationStatus, String(decoding: outData.data.withLock { $0 }, as: UTF8.self),
        String(decoding: errData.data.withLock { $0 }, as: UTF8.self)
    )
}

/// The events of one session with the given name.
func named(_ events: [[String: Any]], _ name: String, conn: Int? = nil) -> [[String: Any]] {
    events.filter { $0["event"] as? String == name && (conn == nil || $0["conn"] as? Int == conn) }
}

/// The order of (event, dir) pairs of one session, for ordering assertions.
func sequence(_ events: [[String: Any]], conn: Int) -> [String] {
    events.filter { $0["conn"] as? Int == conn }.map { event in
        let name = event["event"] as! String
        if let dir = event["dir"] as? String { return "\(name) \(dir)" }
        return name
    }
}

import Foundation
import TestSupport
import Testing

/// A `dumpcap` capture of the real loopback wire, for tests that check what went over it (the
/// TLS key log test decrypts it with tshark).
///
/// dumpcap prints "Capturing on" before its capture is live, so a connection made at once can
/// lose its first packets (a TLS ClientHello, without which nothing decrypts). ``start(ports:into:)``
/// therefore also captures port 1 (where nothing listens: a connection there is answered by a
/// reset) and knocks on it until a knock is in the file.
enum WireCapture {
    /// A started capture, or why none could start (no permission to capture on `lo`).
    enum Outcome {
        case running(ChildProcess)
        case refused(String)
    }

    /// Starts capturing TCP on `lo` for `ports` into `wire`, and returns once the capture is
    /// proven live. Throws when dumpcap runs but never shows a knock (a test issue, not a skip).
    static func start(ports: [Int], into wire: String) async throws -> Outcome {
        let filter = (ports + [1]).map { "tcp port \($0)" }.joined(separator: " or ")
        let dumpcap = try ChildProcess("dumpcap", ["-q", "-i", "lo", "-f", filter, "-w", wire])
        var announced = false
        for _ in 0..<500 {
            if dumpcap.standardError.contains("Capturing on") {
                announced = true
                break
            }
            if try await dumpcap.waitForExit(timeout: .milliseconds(10)) != nil { break }
        }
        guard announced else {
            dumpcap.stop()
            return .refused(dumpcap.standardError)
        }
        for _ in 0..<50 {
            // The knock: refused at once (port 1 has no listener on loopback), seen by dumpcap.
            _ = try await runCommand("curl", ["-s", "--max-time", "1", "http://127.0.0.1:1/"])
            try await Task.sleep(for: .milliseconds(100))
            let seen = try await runCommand(
                "tshark", ["-r", wire, "-Y", "tcp.dstport == 1", "-T", "fields", "-e", "tcp.dstport"])
            if seen.out.split(separator: "\n").contains("1") { return .running(dumpcap) }
        }
        dumpcap.stop()
        throw WireCaptureError(description: "dumpcap never saw a knock on port 1: \(dumpcap.standardError)")
    }
}

/// dumpcap started but its capture never proved live.
struct WireCaptureError: Error, CustomStringConvertible {
    let description: String
}

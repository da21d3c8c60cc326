import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway mosquitto broker for one test: a config file in a new temporary folder, one
/// listener on a Unix socket in that folder (`listener 0 PATH`: mosquitto ≥ 2.0; no TCP port is
/// taken), anonymous clients allowed, no persistence, every log line on stderr. As root (CI) it
/// runs as ``Unprivileged/userName`` (mosquitto started as root would switch to the user
/// `mosquitto`, which cannot write the folder).
///
/// Ready once `mosquitto_pub --unix PATH` has published a message through it (a CONNECT answered
/// by CONNACK). ``stop()`` sends SIGTERM, then kills its group, then removes the folder; a broker
/// released without ``stop()`` is killed and its folder removed too.
public final class MosquittoBroker: Sendable {
    /// The broker and its command-line clients.
    public struct Binaries: Sendable {
        /// The broker (`/usr/sbin/mosquitto` on Debian).
        public var mosquitto: String
        /// The publishing client.
        public var pub: String
        /// The subscribing client.
        public var sub: String
    }

    /// The programs, on `PATH` or in `/usr/sbin`; `nil` when mosquitto or its clients are not
    /// installed.
    public static let binaries: Binaries? = {
        guard
            let mosquitto = Machine.executable(named: "mosquitto", alsoIn: ["/usr/sbin", "/usr/local/sbin"]),
            let pub = Machine.executable(named: "mosquitto_pub"),
            let sub = Machine.executable(named: "mosquitto_sub")
        else { return nil }
        return Binaries(mosquitto: mosquitto, pub: pub, sub: sub)
    }()

    /// The folder of the config file and the socket.
    public let directory: String
    /// The broker.
    public let child: ChildProcess
    /// The programs this broker was started with.
    public let binaries: Binaries
    private let stopped = Atomic<Bool>(false)

    /// The broker's socket.
    public var socketPath: String { directory + "/mqtt.sock" }
    /// The address flowtap connects to.
    public var target: String { "unix:\(socketPath)" }
    /// What the broker logged so far.
    public var log: String { child.standardError }

    /// Writes the config and starts the broker; returns once it relays a message.
    /// - Throws: ``SpawnError`` when mosquitto is not installed or the folder cannot be made;
    ///   `CancellationError` after recording an issue (with its log) when it never gets ready.
    public init(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let binaries = Self.binaries else {
            throw SpawnError(description: "mosquitto is not installed")
        }
        self.binaries = binaries
        let directory = try Unprivileged.makeDirectory(prefix: "flowtap-mq")
        self.directory = directory
        do {
            let config = """
                listener 0 \(directory)/mqtt.sock
                allow_anonymous true
                persistence false
                log_dest stderr
                log_type all

                """
            try config.write(toFile: directory + "/mosquitto.conf", atomically: false, encoding: .utf8)
            let (executable, arguments) = try Unprivileged.command(
                binaries.mosquitto, ["-c", directory + "/mosquitto.conf"])
            child = try ChildProcess(executable, arguments, output: .discard, sourceLocation: sourceLocation)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try await waitUntilReady(sourceLocation: sourceLocation)
    }

    deinit {
        // A test that forgot stop(): the child's own deinit kills the broker right after.
        if !stopped.load(ordering: .acquiring) { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Stops the broker (SIGTERM, then SIGKILL to its group) and removes its folder. Harmless
    /// to call twice.
    public func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        child.signal(SIGTERM)
        _ = try? await child.waitForExit(timeout: .seconds(10))
        child.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The arguments that point a mosquitto client at the broker's socket directly.
    public var clientArguments: [String] { ["--unix", socketPath] }

    private func waitUntilReady(sourceLocation: SourceLocation) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var last = "never tried"
        while true {
            if let status = child.exitStatus {
                last = "mosquitto exited with \(status)"
                break
            }
            let answer = try await ChildProcess.run(
                binaries.pub, clientArguments + ["-t", "flowtap/ready", "-m", "ready", "-q", "1"],
                timeout: .seconds(30), sourceLocation: sourceLocation)
            if answer.status == 0 { return }
            last = "mosquitto_pub: \(answer.status) \(answer.out) \(answer.err)"
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "mosquitto in \(directory) never relayed a message: \(last)\nits log: \(log.suffix(3000))",
            sourceLocation: sourceLocation)
        await stop()
        throw CancellationError()
    }
}

import Foundation
import Synchronization
import TestSupport
import Testing

/// Runs a terminal program in a detached tmux session of a fixed size, types at it and reads
/// its screen: the end-to-end test harness for the curses UI (DESIGN.md §7).
///
/// Each driver has its own tmux server (`tmux -L <unique socket> -f /dev/null`), so tests never
/// touch the user's tmux and may run in parallel; ``kill()`` (also on deinit) stops that server
/// and the program. The pane stays after the program exits, so ``exitStatus()`` can be read.
///
/// tmux commands run as ``ChildProcess``es (no inherited descriptor: the server and the program
/// in its pane hold none of the test's sockets). The server forks away from them, so it is
/// tracked in the ``ProcessLedger`` (the test's `.leavesNoProcesses` scope reports it if it
/// outlives the test) and named to its tmux watchdog (killed even if the test process dies).
///
/// ```swift
/// let tmux = try await TmuxDriver(command: [flowtapPath, "127.0.0.1:0", "127.0.0.1:6379"])
/// try await tmux.waitFor("? help")
/// try await tmux.sendKeys("p")
/// let screen = try await tmux.waitFor("paused")
/// try await tmux.sendKeys("q")
/// #expect(try await tmux.waitForExit() == 0)
/// ```
final class TmuxDriver: Sendable {
    /// A tmux command failed, or a wait ran out; `screen` is the last screen read, if any.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var screen: String?
        var description: String { message + (screen.map { "\n--- screen ---\n" + $0 } ?? "") }
    }

    private static let counter = Atomic<Int>(0)
    /// The tmux server's socket name (`tmux -L`).
    let socket: String
    /// The session's name.
    let session = "main"
    private let killed = Atomic<Bool>(false)
    /// The tmux server, once started.
    private let server = Mutex<ProcessLedger.Entry?>(nil)
    /// Where the wrapper writes the program's exit status.
    private let statusPath: String

    /// Starts `command` (program and arguments, run without a shell) in a `width`×`height`
    /// terminal with `environment` added (`TERM` is tmux's default, `screen`); tmux's status
    /// line is off, so the program gets all the rows.
    init(
        command: [String], width: Int = 120, height: Int = 40, environment: [String: String] = [:]
    ) async throws {
        statusPath =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("flowtap-tmux-\(UUID().uuidString).status").path
        socket = "flowtap-test-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        // A shell wrapper records the exit status in a file: tmux's own `pane_dead_status` was
        // seen missing when the program exits at once.
        let status = Self.quote(statusPath)
        // `trap : INT` keeps the wrapper alive through C-c (the program gets it as usual).
        let wrapper = "trap : INT; \"$@\"; echo $? > \(status).tmp; mv \(status).tmp \(status)"
        let line = (["sh", "-c", wrapper, "sh", "env"] + env + command).map(Self.quote).joined(separator: " ")
        // One invocation, so the options hold before the program starts.
        // Killed at the latest when the test process ends, however it ends.
        try ProcessLedger.killOnExit(tmuxSocket: socket)
        try await tmux([
            "start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
            "set-option", "-g", "status", "off", ";",
            "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", line,
        ])
        let pid = try await tmux(["display-message", "-p", "#{pid}"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard let serverPID = pid_t(pid) else {
            throw Failure(message: "tmux gave no server pid: \(pid)", screen: nil)
        }
        let entry = Self.serverEntry(pid: serverPID, socket: socket)
        ProcessLedger.track(entry)
        server.withLock { $0 = entry }
    }

    deinit { kill() }

    /// Sends tmux key names: `"q"`, `"Enter"`, `"Tab"`, `"C-c"`, `"PPage"`, `"Escape"`, `"BTab"`.
    func sendKeys(_ keys: String...) async throws {
        try await tmux(["send-keys", "-t", session] + keys)
    }

    /// Types `text` literally (no key names).
    func type(_ text: String) async throws {
        try await tmux(["send-keys", "-t", session, "-l", text])
    }

    /// The screen's text now, one line per row (`capture-pane -p`); with `history`, the lines
    /// scrolled off the top first (`-S -`).
    func capture(history: Bool = false) async throws -> String {
        try await tmux(["capture-pane", "-p", "-t", session] + (history ? ["-S", "-"] : []))
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    func resize(width: Int, height: Int) async throws {
        try await tmux(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits until the screen contains `text`, polling every 50 ms, at most `timeout`; returns
    /// the screen. Throws ``Failure`` with the last screen on timeout.
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        try await waitUntil("screen shows \"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen (see ``waitFor(_:timeout:)``).
    @discardableResult
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(20), _ condition: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var screen = ""
        while true {
            screen = try await capture()
            if condition(screen) { return screen }
            if ContinuousClock.now >= deadline {
                throw Failure(message: "timed out: \(what)", screen: screen)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The program's exit status once it has exited, else `nil` (128 + N after signal N).
    func exitStatus() throws -> Int32? {
        guard let text = try? String(contentsOfFile: statusPath, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Waits for the program to exit (at most `timeout`) and returns its status, once tmux has
    /// also shown all its output (the pane is dead).
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = try exitStatus(), try await paneIsDead() { return status }
            if ContinuousClock.now >= deadline {
                throw Failure(message: "timed out: program exit", screen: try? await capture())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// True once tmux has seen the program's end (its terminal closed).
    private func paneIsDead() async throws -> Bool {
        try await tmux(["display-message", "-p", "-t", session, "#{pane_dead}"]).hasPrefix("1")
    }

    /// Stops the program and this driver's tmux server (`kill-server`), and waits until the
    /// server has really exited (SIGKILL after 5 s, reported as an issue); later calls do
    /// nothing.
    func kill() {
        guard !killed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        defer { unlink(statusPath) }
        do {
            try tmuxBlocking(["kill-server"])
        } catch {
            // Fine if the server had already gone (or never started); checked just below.
        }
        guard let server = server.withLock({ $0 }) else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while server.isRunning() && ContinuousClock.now < deadline { usleep(5_000) }
        if server.isRunning() {
            server.stop()
            Issue.record("tmux server \(server.description) outlived kill-server: killed")
        }
        ProcessLedger.untrack(server)
    }

    /// Runs `tmux -L socket -f /dev/null args…` to completion and returns its standard output,
    /// waiting without blocking a thread of the cooperative pool (two threads on two cores).
    @discardableResult
    private func tmux(_ arguments: [String]) async throws -> String {
        let (child, output) = try start(arguments)
        return try finish(
            arguments, child, output, status: try await child.waitForExit(timeout: .seconds(30)))
    }

    /// ``tmux(_:)`` for ``kill()``, which runs from `deinit`: blocks the calling thread.
    private func tmuxBlocking(_ arguments: [String]) throws {
        let (child, output) = try start(arguments)
        _ = try finish(arguments, child, output, status: child.waitForExitBlocking(timeout: .seconds(30)))
    }

    /// Starts a tmux command. Its output goes to temporary files, not pipes: the first command
    /// forks the tmux server, which keeps its standard output open.
    private func start(_ arguments: [String]) throws -> (ChildProcess, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
            .path
        let child = try ChildProcess(
            "tmux", ["-L", socket, "-f", "/dev/null"] + arguments, output: .file(base + ".out"),
            error: .file(base + ".err"))
        return (child, base)
    }

    /// The output of a tmux command that ended with `status` (`nil`: it did not end in time, and
    /// is killed); throws ``Failure`` unless it succeeded. Removes its output files.
    private func finish(_ arguments: [String], _ child: ChildProcess, _ base: String, status: Int32?) throws
        -> String
    {
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        guard let status else {
            child.stop()
            throw Failure(message: "tmux \(arguments.first ?? "") did not finish within 30 s", screen: nil)
        }
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let error = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
            throw Failure(message: "tmux \(arguments.first ?? "") failed (\(status)): \(error)", screen: nil)
        }
        return output
    }

    /// Tracks the tmux server (its pid read from tmux) in the ``ProcessLedger``, so that a
    /// server this driver failed to stop is reported and killed at the end of the test.
    private static func serverEntry(pid: pid_t, socket: String) -> ProcessLedger.Entry {
        ProcessLedger.Entry(description: "pid \(pid): tmux server -L \(socket)") {
            isTmuxServer(pid)
        } stop: {
            _ = Glibc.kill(pid, SIGKILL)
        }
    }

    /// True while `pid` is a live (not zombie) tmux process.
    private static func isTmuxServer(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return stat.contains("(tmux") && state != "Z" && state != "X"
    }

    /// `text` quoted for the shell tmux runs the command with.
    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// True when tmux can be run here.
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
            || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/tmux")
    }
}

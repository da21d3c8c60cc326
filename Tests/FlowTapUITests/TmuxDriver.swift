import Foundation
import Synchronization

/// Runs a terminal program in a detached tmux session of a fixed size, types at it and reads
/// its screen: the end-to-end test harness for the curses UI (DESIGN.md §7).
///
/// Each driver has its own tmux server (`tmux -L <unique socket> -f /dev/null`), so tests never
/// touch the user's tmux and may run in parallel; ``kill()`` (also on deinit) stops that server
/// and the program. The pane stays after the program exits, so ``exitStatus()`` can be read.
///
/// ```swift
/// let tmux = try TmuxDriver(command: [flowtapPath, "127.0.0.1:0", "127.0.0.1:6379"])
/// try await tmux.waitFor("? help")
/// try tmux.sendKeys("p")
/// let screen = try await tmux.waitFor("paused")
/// try tmux.sendKeys("q")
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
    /// Where the wrapper writes the program's exit status.
    private let statusPath: String

    /// Starts `command` (program and arguments, run without a shell) in a `width`×`height`
    /// terminal with `environment` added (`TERM` is tmux's default, `screen`); tmux's status
    /// line is off, so the program gets all the rows.
    init(
        command: [String], width: Int = 120, height: Int = 40, environment: [String: String] = [:]
    ) throws {
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
        try tmux([
            "start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
            "set-option", "-g", "status", "off", ";",
            "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", line,
        ])
    }

    deinit { kill() }

    /// Sends tmux key names: `"q"`, `"Enter"`, `"Tab"`, `"C-c"`, `"PPage"`, `"Escape"`, `"BTab"`.
    func sendKeys(_ keys: String...) throws {
        try tmux(["send-keys", "-t", session] + keys)
    }

    /// Types `text` literally (no key names).
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", session, "-l", text])
    }

    /// The screen's text now, one line per row (`capture-pane -p`); with `history`, the lines
    /// scrolled off the top first (`-S -`).
    func capture(history: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-t", session] + (history ? ["-S", "-"] : []))
    }

    /// Resizes the terminal (the program gets SIGWINCH).
    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits until the screen contains `text`, polling every 50 ms, at most `timeout`; returns
    /// the screen. Throws ``Failure`` with the last screen on timeout.
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitUntil("screen shows \"\(text)\"", timeout: timeout) { $0.contains(text) }
    }

    /// Waits until `condition` holds for the screen (see ``waitFor(_:timeout:)``).
    @discardableResult
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(10), _ condition: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var screen = ""
        while true {
            screen = try capture()
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
    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = try exitStatus(), try paneIsDead() { return status }
            if ContinuousClock.now >= deadline {
                throw Failure(message: "timed out: program exit", screen: try? capture())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// True once tmux has seen the program's end (its terminal closed).
    private func paneIsDead() throws -> Bool {
        try tmux(["display-message", "-p", "-t", session, "#{pane_dead}"]).hasPrefix("1")
    }

    /// Stops the program and this driver's tmux server; later calls do nothing.
    func kill() {
        guard !killed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = try? tmux(["kill-server"])
        unlink(statusPath)
    }

    /// Runs `tmux -L socket -f /dev/null args…` and returns its standard output.
    ///
    /// Spawned with `posix_spawn` and reaped with `waitpid` (Foundation's `Process` can miss the
    /// child's exit on Linux); output goes through temporary files, not pipes, since the first
    /// command forks the tmux server, which keeps its standard output open.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let args = ["tmux", "-L", socket, "-f", "/dev/null"] + arguments
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
            .path
        let outPath = base + ".out"
        let errPath = base + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let cArgs = args.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        // The test runner's threads block or ignore signals; the tmux server (forked from the
        // first command) must start with none blocked and every default, or it misses SIGCHLD
        // and cannot report exit statuses.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let spawned = posix_spawnp(&pid, "tmux", &actions, &attributes, cArgs, environ)
        guard spawned == 0 else { throw Failure(message: "cannot run tmux: error \(spawned)", screen: nil) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let error = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw Failure(message: "tmux \(arguments.first ?? "") failed (\(status)): \(error)", screen: nil)
        }
        return output
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

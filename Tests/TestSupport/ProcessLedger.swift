import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every process the tests started and have not yet seen end: children (``ChildProcess``) and
/// daemons they made (a `TmuxDriver`'s tmux server), each under the test that started it.
///
/// Three nets, so that no flowtap, redis-server, tmux server, socat or iperf3 outlives the tests:
/// 1. At the end of every test run under ``LeavesNoProcesses`` (`.leavesNoProcesses`), what that
///    test started and is still running is reported as an issue of that test, then killed.
///    Spawning outside such a scope is an issue too, so a new suite cannot forget the trait.
/// 2. When the test process exits normally (`atexit`), anything still running is killed and
///    named on standard error, and the exit status becomes 1.
/// 3. When the test process dies abruptly (a trap, SIGKILL), children die by their parent-death
///    signal (see ``ChildProcess``), and tmux servers are killed by a watchdog (see
///    ``killOnExit(tmuxSocket:)``).
public enum ProcessLedger {
    /// One tracked process: how to tell whether it still runs, and how to kill it.
    public final class Entry: Sendable {
        /// What it is, for messages (pid and command).
        public let description: String
        let owner: Int?
        /// True while the process runs.
        public let isRunning: @Sendable () -> Bool
        /// Kills the process.
        public let stop: @Sendable () -> Void

        /// A process described by `description`, owned by the test running now (if any).
        public init(
            description: String, isRunning: @escaping @Sendable () -> Bool,
            stop: @escaping @Sendable () -> Void
        ) {
            self.description = description
            self.owner = ProcessLedger.owner
            self.isRunning = isRunning
            self.stop = stop
        }
    }

    /// The test scope that spawns now (set by ``LeavesNoProcesses``).
    @TaskLocal static var owner: Int?

    private static let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private static let nextOwner = Atomic<Int>(0)
    private static let exitCheck: Bool = {
        atexit { ProcessLedger.checkAtExit() }
        return true
    }()

    /// Tracks `entry` until ``untrack(_:)``; records an issue when no ``LeavesNoProcesses`` scope
    /// is running (the process would then be checked only at exit).
    public static func track(_ entry: Entry, sourceLocation: SourceLocation = #_sourceLocation) {
        precondition(exitCheck)
        if entry.owner == nil {
            Issue.record(
                "\(entry.description) started outside a .leavesNoProcesses scope: add the trait to the suite",
                sourceLocation: sourceLocation)
        }
        entries.withLock { $0[ObjectIdentifier(entry)] = entry }
    }

    /// Stops tracking `entry` (its process has ended, or its owner has stopped it).
    public static func untrack(_ entry: Entry) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(entry)) }
    }

    /// The processes tracked now that still run.
    public static var running: [String] {
        entries.withLock { Array($0.values) }.filter { $0.isRunning() }.map(\.description)
    }

    /// Runs `body` as a new owner, then returns what it started that still runs (killed and
    /// untracked by then).
    static func scope(_ body: () async throws -> Void) async rethrows -> [String] {
        let id = nextOwner.add(1, ordering: .relaxed).newValue
        try await $owner.withValue(id) { try await body() }
        let mine = entries.withLock { all in
            let mine = all.values.filter { $0.owner == id }
            for entry in mine { all.removeValue(forKey: ObjectIdentifier(entry)) }
            return mine
        }
        var left: [String] = []
        for entry in mine where entry.isRunning() {
            left.append(entry.description)
            entry.stop()
        }
        return left
    }

    private static func checkAtExit() {
        let left = entries.withLock { Array($0.values) }.filter { $0.isRunning() }
        guard !left.isEmpty else { return }
        for entry in left { entry.stop() }
        let names = left.map(\.description).joined(separator: "\n  ")
        let message = "error: processes left running when the tests ended (now killed):\n  \(names)\n"
        fflush(nil)
        FileHandle.standardError.write(Data(message.utf8))
        _exit(1)
    }

    // MARK: tmux servers after an abrupt end

    /// Makes sure the tmux server on `tmuxSocket` (a `tmux -L` name) is killed when the test
    /// process ends, even by SIGKILL: a watchdog shell, started once, waits for end-of-file on a
    /// pipe whose only writer is the test process, then runs `tmux -L NAME kill-server` for
    /// every socket named here. A tmux server forks away from its parent, so the parent-death
    /// signal never reaches it.
    public static func killOnExit(tmuxSocket: String) throws {
        try watchdog.get()
        let line = Array((tmuxSocket + "\n").utf8)
        let written = line.withUnsafeBytes { write(watchdogWriteEnd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw SpawnError(description: "tmux watchdog: write: \(String(cString: strerror(errno)))")
        }
    }

    private static var watchdogWriteEnd: Int32 { watchdogFDs?.write ?? -1 }

    private static let watchdogFDs: (read: Int32, write: Int32)? = {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        // Children get none of the test process's descriptors anyway (closefrom).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }()

    /// The watchdog, started on first use. It is not a ``ChildProcess`` (it must outlive the
    /// test process, so it has no parent-death signal) and is not tracked: it ends by itself
    /// once the test process is gone.
    private static let watchdog: Result<Void, SpawnError> = {
        guard let fds = watchdogFDs else { return .failure(SpawnError(description: "tmux watchdog: pipe")) }
        let script = """
            names=""
            while read -r name; do names="$names $name"; done
            for name in $names; do tmux -L "$name" -f /dev/null kill-server 2>/dev/null; done
            """
        let argv = ["/bin/sh", "-c", script]
        return Result { () throws(SpawnError) in
            let pid = try SpawnThread.run { () throws(SpawnError) -> pid_t in
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_adddup2(&actions, fds.read, 0)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
                try closeFrom3(&actions)
                // Its own group: a Ctrl-C at the terminal must not stop it before the servers.
                var attributes = posix_spawnattr_t()
                childAttributes(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                let cArgs = argv.map { strdup($0) } + [nil]
                defer { for arg in cArgs { free(arg) } }
                var pid: pid_t = 0
                let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
                guard result == 0 else {
                    throw SpawnError(description: "tmux watchdog: \(String(cString: strerror(result)))")
                }
                return pid
            }
            close(fds.read)
            // Reaped by a thread of its own when it ends (at the test process's end, if ever).
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
        }
    }()
}

/// A trait for suites (and tests) that start processes: after each test, whatever the test
/// started through ``ChildProcess`` or tracked with ``ProcessLedger/track(_:sourceLocation:)``
/// and that still runs is reported as an issue of that test and killed. A failing test's
/// leftovers are killed too (and reported after its own failure).
///
/// Processes are attributed to tests by a task-local value, so tests may run in parallel; a
/// process spawned from a detached task or thread is not attributed (and is reported as
/// spawned outside a scope).
public struct LeavesNoProcesses: TestCaseScope {
    /// Runs the test, then checks and kills what it left running.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var thrown: (any Error)?
        let left = await ProcessLedger.scope {
            do { try await function() } catch { thrown = error }
        }
        if !left.isEmpty {
            Issue.record(
                "processes left running when the test ended (now killed):\n  \(left.joined(separator: "\n  "))",
                sourceLocation: test.sourceLocation)
        }
        if let thrown { throw thrown }
    }
}

extension Trait where Self == LeavesNoProcesses {
    /// See ``LeavesNoProcesses``.
    public static var leavesNoProcesses: Self { LeavesNoProcesses() }
}

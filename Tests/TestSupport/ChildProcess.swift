import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program the tests run (flowtap, redis-server, redis-cli, tshark, tmux, sha256sum, …): the
/// one way the test targets spawn a child process.
///
/// Contract:
/// - The child gets no descriptor of the test process but 0, 1 and 2 (`posix_spawn` with
///   `posix_spawn_file_actions_addclosefrom_np(…, 3)`), so it never holds a test's listening
///   socket, pipe or file. Standard input is `/dev/null` unless a file or a pipe is asked for
///   (``Input``).
/// - The child starts with no signal blocked and every signal at its default (the test runner's
///   threads block some, and a child would inherit that mask: redis-server then ignored SIGTERM).
/// - It dies with the test process, however that ends (a trap, SIGKILL): it runs under
///   `setpriv --pdeathsig KILL`, spawned from one dedicated thread that lives as long as the
///   process. Linux sends the parent-death signal when the *thread* that spawned the child ends,
///   and the threads of Swift's cooperative pool come and go, so spawning from a pool thread
///   would kill children while their test still runs.
/// - It runs in a process group of its own; ``stop()`` kills the whole group with SIGKILL and
///   reaps the child. `deinit` does the same, so a child never outlives the object.
/// - It is tracked by ``ProcessLedger`` under the running test's ``LeavesNoProcesses`` scope, which
///   reports and kills any child still running when its test ends.
///
/// Daemons that fork away from their parent (tmux servers) escape the parent-death signal: their
/// owner must stop them itself (see `TmuxDriver`) and track them with ``ProcessLedger/track(_:)``.
public final class ChildProcess: Sendable {
    /// Where a standard stream goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case discard
        /// A pipe read by the test process: see ``standardOutput``, ``outputLines``, ``standardError``.
        case capture
        /// A file, created or truncated, mode 0600.
        case file(String)
    }

    /// Where standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`.
        case null
        /// A file (or FIFO), opened for reading.
        case file(String)
        /// A pipe the test writes with ``writeInput(_:)`` and ends with ``closeInput()``.
        case pipe
    }

    /// Why bytes could not be written to the program's standard input.
    public struct InputError: Error, CustomStringConvertible {
        /// What failed, with the errno's text.
        public var description: String
    }

    /// The program's process id (also its process group id).
    public let pid: pid_t
    /// The program and its arguments, for messages.
    public let command: [String]
    private let state: ChildState
    private let entry: ProcessLedger.Entry

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`.
    ///
    /// - Parameters:
    ///   - input: where standard input comes from; `/dev/null` unless told.
    ///   - environment: the whole environment of the child; the test process's when `nil`.
    ///   - sourceLocation: where an issue about this child (spawned outside a
    ///     ``LeavesNoProcesses`` scope) is reported.
    /// - Throws: ``SpawnError`` when the program cannot be started.
    public init(
        _ executable: String, _ arguments: [String], input: Input = .null, output: Output = .capture,
        error: Output = .capture, environment: [String: String]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        command = [executable] + arguments
        let state = ChildState()
        self.state = state
        let argv = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", executable] + arguments
        let env = environment.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        let spawned = try SpawnThread.run { () throws(SpawnError) -> (pid_t, Int32?, Int32?, Int32?) in
            try spawn(argv, environment: env, input: input, output: output, error: error)
        }
        state.locked { $0.inputFD = spawned.3 }
        pid = spawned.0
        entry = ProcessLedger.Entry(description: "pid \(spawned.0): \(command.joined(separator: " "))") {
            [state, pid = spawned.0] in
            state.isRunning(pid)
        } stop: { [state, pid = spawned.0] in
            state.stop(pid)
        }
        ProcessLedger.track(entry, sourceLocation: sourceLocation)
        if let fd = spawned.1 { state.drain(fd, into: \.out) }
        if let fd = spawned.2 { state.drain(fd, into: \.err) }
    }

    deinit {
        stop()
    }

    /// Writes `text` to the program's standard input (``Input/pipe``), waiting with `Task.sleep`
    /// while the pipe is full (never blocking a thread).
    /// - Throws: ``InputError`` when there is no pipe, it was closed, or the program stopped
    ///   reading it (EPIPE).
    public func writeInput(_ text: String) async throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let result = try state.locked { f -> Result<Int, InputError> in
                guard let fd = f.inputFD else {
                    return .failure(InputError(description: "no standard input pipe"))
                }
                let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if count >= 0 { return .success(count) }
                if errno == EAGAIN || errno == EINTR { return .success(0) }
                return .failure(
                    InputError(description: "write to stdin: \(String(cString: strerror(errno)))"))
            }.get()
            if result == 0 { try await Task.sleep(for: .milliseconds(2)) }
            bytes = bytes.dropFirst(result)
        }
    }

    /// How many bytes written with ``writeInput(_:)`` the program has not read yet (`FIONREAD`
    /// on the pipe); `nil` without an open pipe.
    public var unreadInputBytes: Int? {
        state.locked { f -> Int? in
            guard let fd = f.inputFD else { return nil }
            var count: Int32 = 0
            guard ioctl(fd, UInt(FIONREAD), &count) == 0 else { return nil }
            return Int(count)
        }
    }

    /// Closes the program's standard input pipe: it reads end-of-file. Harmless to call twice.
    public func closeInput() {
        state.locked { f in
            if let fd = f.inputFD { close(fd) }
            f.inputFD = nil
        }
    }

    /// Everything the program wrote to standard output so far (with ``Output/capture``).
    public var standardOutput: String { String(decoding: state.locked { $0.out }, as: UTF8.self) }

    /// Everything the program wrote to standard error so far (with ``Output/capture``).
    public var standardError: String { String(decoding: state.locked { $0.err }, as: UTF8.self) }

    /// The complete lines (without their `\n`) written to standard output so far.
    public var outputLines: [String] { state.locked { $0.lines } }

    /// True once standard output and standard error (those captured) reached end-of-file.
    public var outputFinished: Bool { state.locked { $0.openPipes == 0 } }

    /// The exit status once the program has exited (it is then reaped), else `nil`: the code it
    /// exited with, or 128 + N when signal N ended it (the shell's convention).
    public var exitStatus: Int32? { state.reap(pid, blocking: false) }

    /// True until the program has exited.
    public var isRunning: Bool { state.isRunning(pid) }

    /// Sends `signal` to the program (not to its group); does nothing once it was reaped.
    public func signal(_ signal: Int32) { state.signal(pid, signal) }

    /// Waits (polling, never blocking a thread) until the program exits and its captured output
    /// reached end-of-file; returns its exit status, or `nil` when `timeout` ran out first (the
    /// program is left running: call ``stop()``).
    ///
    /// The program is looked at once more when the deadline has passed: a waiting task that got
    /// no thread for a while (a busy parallel run) must not call a program that has exited late.
    public func waitForExit(timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exitStatus {
                // The pipes end when the program (and whatever it left holding them) is gone.
                while !outputFinished && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                return status
            }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Like ``waitForExit(timeout:)`` for synchronous callers: blocks the calling thread.
    public func waitForExitBlocking(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exitStatus {
                while !outputFinished && ContinuousClock.now < deadline { usleep(2_000) }
                return status
            }
            if ContinuousClock.now >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Kills the program's process group with SIGKILL and reaps the program; returns its exit
    /// status (128 + 9 when it was still running). Later calls return the same status.
    @discardableResult
    public func stop() -> Int32 {
        let status = state.stop(pid)
        closeInput()
        ProcessLedger.untrack(entry)
        return status
    }

    /// Runs a program to completion and returns its status and output; a program still running
    /// after `timeout` is killed and reported as a test issue. It waits with `Task.sleep`, never
    /// blocking a thread of the cooperative pool (where the tests' own servers run).
    public static func run(
        _ executable: String, _ arguments: [String], input: Input = .null, timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (status: Int32, out: String, err: String) {
        let child = try ChildProcess(executable, arguments, input: input, sourceLocation: sourceLocation)
        guard let status = try await child.waitForExit(timeout: timeout) else {
            let status = child.stop()
            Issue.record(
                "\(child.command.joined(separator: " ")) still ran after \(timeout): killed",
                sourceLocation: sourceLocation)
            return (status, child.standardOutput, child.standardError)
        }
        return (status, child.standardOutput, child.standardError)
    }
}

/// Why a program could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    /// What failed, with the errno's text.
    public var description: String
}

/// The state a ``ChildProcess`` shares with its output readers and its ``ProcessLedger`` entry
/// (never the ``ChildProcess`` itself, so that the object can be released and stop its child).
final class ChildState: Sendable {
    struct Fields {
        var status: Int32?
        var out: [UInt8] = []
        var err: [UInt8] = []
        var lines: [String] = []
        var lineStart = 0
        var openPipes = 0
        /// The write end of standard input's pipe, until closed.
        var inputFD: Int32?
    }
    private let fields = Mutex(Fields())

    func locked<T: Sendable>(_ body: (inout Fields) -> T) -> T { fields.withLock { body(&$0) } }

    /// Reaps the child if it has exited (waiting for it with `blocking`), and returns its status.
    /// The lock is held across `waitpid`, so the pid is never signalled once it may be reused.
    func reap(_ pid: pid_t, blocking: Bool) -> Int32? {
        fields.withLock { f in
            if let status = f.status { return status }
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &raw, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
            guard result == pid else { return nil }
            let signal = raw & 0x7f
            f.status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return f.status
        }
    }

    func isRunning(_ pid: pid_t) -> Bool { reap(pid, blocking: false) == nil }

    func signal(_ pid: pid_t, _ signal: Int32) {
        fields.withLock { f in
            if f.status == nil { _ = kill(pid, signal) }
        }
    }

    /// SIGKILLs the child's process group, then reaps the child.
    @discardableResult
    func stop(_ pid: pid_t) -> Int32 {
        fields.withLock { f in
            if f.status == nil { _ = kill(-pid, SIGKILL) }
        }
        return reap(pid, blocking: true) ?? 128 + SIGKILL
    }

    /// Reads `fd` to its end on a thread of its own, appending to `field` (and splitting
    /// standard output into lines), then closes it.
    func drain(_ fd: Int32, into field: WritableKeyPath<Fields, [UInt8]> & Sendable) {
        fields.withLock { $0.openPipes += 1 }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                fields.withLock { f in
                    f[keyPath: field].append(contentsOf: buffer[0..<count])
                    guard field == \Fields.out else { return }
                    while let newline = f.out[f.lineStart...].firstIndex(of: 0x0a) {
                        f.lines.append(String(decoding: f.out[f.lineStart..<newline], as: UTF8.self))
                        f.lineStart = newline + 1
                    }
                }
            }
            close(fd)
            fields.withLock { $0.openPipes -= 1 }
        }
    }
}

/// Spawns `argv` (argv[0] a path) with the given streams; returns the pid and the read ends of
/// the captured pipes. Runs on ``SpawnThread``.
private func spawn(
    _ argv: [String], environment: [String]?, input: ChildProcess.Input, output: ChildProcess.Output,
    error: ChildProcess.Output
) throws(SpawnError) -> (pid_t, Int32?, Int32?, Int32?) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var readEnds: [Int32?] = [nil, nil]
    var writeEnds: [Int32] = []
    defer { for fd in writeEnds { close(fd) } }
    var inputEnd: Int32?
    switch input {
    case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    case .file(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
    case .pipe:
        // A write after the child is gone must fail with EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0,
            fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0
        else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // The read end is the child's only (closed here after the spawn); the write end ours.
        writeEnds.append(fds[0])
        inputEnd = fds[1]
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    }
    for (index, (target, stream)) in [(Int32(1), output), (Int32(2), error)].enumerated() {
        switch stream {
        case .discard:
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        case .capture:
            // Made on the spawning thread, where every child is spawned (with closefrom), so no
            // other child can inherit it before it is close-on-exec.
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0,
                fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0
            else {
                for fd in readEnds.compactMap({ $0 }) + [inputEnd].compactMap({ $0 }) { close(fd) }
                throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
            }
            readEnds[index] = fds[0]
            writeEnds.append(fds[1])
            posix_spawn_file_actions_adddup2(&actions, fds[1], target)
        }
    }
    // Everything else the test process has open stays out of the child.
    try closeFrom3(&actions)
    var attributes = posix_spawnattr_t()
    childAttributes(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for arg in cArgs { free(arg) } }
    let cEnv = environment.map { $0.map { strdup($0) } + [nil] }
    defer { for variable in cEnv ?? [] { free(variable) } }
    var pid: pid_t = 0
    let result: Int32
    if var cEnv {
        result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, &cEnv)
    } else {
        result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
    }
    guard result == 0 else {
        for fd in readEnds.compactMap({ $0 }) + [inputEnd].compactMap({ $0 }) { close(fd) }
        throw SpawnError(
            description:
                "cannot run \(argv.dropFirst(4).joined(separator: " ")): \(String(cString: strerror(result)))"
        )
    }
    return (pid, readEnds[0], readEnds[1], inputEnd)
}

/// Adds "close every descriptor from 3 on" to `actions`: glibc's
/// `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time since the
/// Glibc module does not import GNU extensions.
/// Initializes `attributes` for a child of the tests: no signal blocked, every signal at its
/// default (the runner's threads block some), and a process group of its own. The caller
/// destroys them.
func childAttributes(_ attributes: inout posix_spawnattr_t) {
    posix_spawnattr_init(&attributes)
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
}

func closeFrom3(_ actions: inout posix_spawn_file_actions_t) throws(SpawnError) {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard
        let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    else {
        throw SpawnError(description: "posix_spawn_file_actions_addclosefrom_np is missing (glibc < 2.34)")
    }
    let result = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
    guard result == 0 else {
        throw SpawnError(description: "addclosefrom: \(String(cString: strerror(result)))")
    }
}

/// The one thread every child is spawned from. It never ends, so the parent-death signal
/// (`setpriv --pdeathsig`) reaches a child only when the whole test process is gone.
enum SpawnThread {
    private static let jobs = Mutex<[@Sendable () -> Void]>([])
    private static let wake = DispatchSemaphore(value: 0)
    private static let started: Bool = {
        let thread = Thread {
            while true {
                wake.wait()
                let next = jobs.withLock { queue in
                    defer { queue.removeAll() }
                    return queue
                }
                for job in next { job() }
            }
        }
        thread.name = "flowtap-tests-spawner"
        thread.start()
        return true
    }()

    /// Runs `body` on the spawning thread and returns its result; the caller's thread waits.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(SpawnError) -> T) throws(SpawnError)
        -> T
    {
        precondition(started)
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, SpawnError>?>(nil)
        jobs.withLock {
            $0.append {
                let outcome = Result { () throws(SpawnError) -> T in try body() }
                result.withLock { $0 = outcome }
                done.signal()
            }
        }
        wake.signal()
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

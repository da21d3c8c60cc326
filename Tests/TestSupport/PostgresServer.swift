import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL server for one test: `initdb` into a new temporary folder, then
/// `postgres` on a Unix socket in that folder only (`listen_addresses=''`, `-k FOLDER`, so no
/// TCP port is taken), trust authentication for the user `postgres`, no fsync. As root (CI) both
/// run as ``Unprivileged/userName`` (PostgreSQL refuses root).
///
/// Ready once `psql -c 'select 1'` answers `1` on its socket. ``stop()`` asks for a fast
/// shutdown (SIGINT: the postmaster ends its backends, removes its shared memory and exits),
/// escalates to an immediate one (SIGQUIT) and at last to SIGKILL of every process working in
/// the folder, then removes the folder: no process, socket, file or shared memory segment is
/// left. A test that forgets ``stop()`` is caught by ``LeavesNoProcesses``, which does the same.
public final class PostgresServer: Sendable {
    /// The PostgreSQL programs of this machine.
    public struct Binaries: Sendable {
        /// The server.
        public var postgres: String
        /// The program that makes a cluster, beside the server.
        public var initdb: String
        /// The interactive client.
        public var psql: String
        /// `nil` when pgbench is not installed (the extended-protocol client).
        public var pgbench: String?
    }

    /// The server's programs: `postgres` on `PATH` or in `/usr/lib/postgresql/*/bin` (Debian's
    /// place, newest version first), `initdb` beside it, `psql` and `pgbench` beside it or on
    /// `PATH`; `nil` when PostgreSQL is not installed.
    public static let binaries: Binaries? = {
        guard let found = Machine.executable(named: "postgres", alsoIn: ["/usr/lib/postgresql/*/bin"]) else {
            return nil
        }
        let folder = URL(fileURLWithPath: found).resolvingSymlinksInPath().deletingLastPathComponent().path
        func beside(_ name: String) -> String? {
            let path = folder + "/" + name
            return FileManager.default.isExecutableFile(atPath: path) ? path : Machine.executable(named: name)
        }
        guard let initdb = beside("initdb"), let psql = beside("psql") else { return nil }
        return Binaries(
            postgres: folder + "/postgres", initdb: initdb, psql: psql, pgbench: beside("pgbench"))
    }()

    /// The server's superuser (trust authentication: no password).
    public static let user = "postgres"
    /// The port number in the socket's name (`.s.PGSQL.5432`); nothing listens on TCP.
    public static let port = 5432

    /// The folder of the socket and of the cluster (in `data/`).
    public let directory: String
    /// The postmaster (its pid is the ``ChildProcess``'s).
    public let child: ChildProcess
    private let binaries: Binaries
    private let entry: ProcessLedger.Entry
    private let stopped = Atomic<Bool>(false)

    /// The server's socket.
    public var socketPath: String { directory + "/.s.PGSQL.\(Self.port)" }
    /// The address flowtap connects to.
    public var target: String { "unix:\(socketPath)" }
    /// What the server logged so far (stderr).
    public var log: String { child.standardError }

    /// Makes the cluster and starts the server; returns once it answers a query.
    /// - Throws: ``SpawnError`` when PostgreSQL is not installed or a folder cannot be made;
    ///   `CancellationError` after recording an issue when initdb fails or the server never
    ///   answers (its log in the issue). Nothing is left running or on disk then.
    public init(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let binaries = Self.binaries else {
            throw SpawnError(description: "PostgreSQL is not installed")
        }
        self.binaries = binaries
        let directory = try Unprivileged.makeDirectory(prefix: "flowtap-pg")
        self.directory = directory
        do {
            let (initdb, initdbArguments) = try Unprivileged.command(
                binaries.initdb,
                [
                    "-D", directory + "/data", "-A", "trust", "-U", Self.user, "-E", "UTF8", "--locale=C",
                    "--no-sync", "--no-instructions",
                ])
            let made = try await ChildProcess.run(
                initdb, initdbArguments, timeout: .seconds(120), sourceLocation: sourceLocation)
            guard made.status == 0 else {
                Issue.record(
                    "initdb failed (\(made.status)): \(made.out) \(made.err)", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            let (postgres, arguments) = try Unprivileged.command(
                binaries.postgres,
                [
                    "-D", directory + "/data", "-k", directory, "-p", "\(Self.port)", "-c",
                    "listen_addresses=",
                    "-c", "fsync=off", "-c", "max_connections=20",
                    // Dynamic shared memory as files in the cluster's folder, removed with it even
                    // after a SIGKILL (the default, POSIX shm, would leave files in /dev/shm).
                    "-c", "dynamic_shared_memory_type=mmap",
                ])
            child = try ChildProcess(postgres, arguments, output: .discard, sourceLocation: sourceLocation)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        // Tracks the backends too (they leave the postmaster's process group), with a cleanup
        // that removes the folder and the shared memory.
        entry = ProcessLedger.Entry(description: "PostgreSQL in \(directory) (postmaster \(child.pid))") {
            [directory] in
            !Unprivileged.processes(workingIn: directory).isEmpty
        } stop: { [child, directory] in
            Self.shutDownBlocking(child, directory)
        }
        ProcessLedger.track(entry, sourceLocation: sourceLocation)
        try await waitUntilReady(sourceLocation: sourceLocation)
    }

    /// Asks the server to stop and waits until it and its folder are gone (see the type's
    /// contract). Harmless to call twice.
    public func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        child.signal(SIGINT)  // fast shutdown
        let exited = (try? await child.waitForExit(timeout: .seconds(30))).flatMap { $0 }
        if exited == nil {
            child.signal(SIGQUIT)  // immediate shutdown
            _ = try? await child.waitForExit(timeout: .seconds(10))
        }
        Self.finish(child, directory)
        ProcessLedger.untrack(entry)
    }

    /// Runs `psql` on the server's socket with `arguments` (after `-X -h DIR -p PORT -U
    /// postgres -d postgres`), to completion.
    public func psql(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> (status: Int32, out: String, err: String)
    {
        try await ChildProcess.run(
            binaries.psql,
            ["-X", "-h", directory, "-p", "\(Self.port)", "-U", Self.user, "-d", "postgres"] + arguments,
            timeout: .seconds(30), sourceLocation: sourceLocation)
    }

    private func waitUntilReady(sourceLocation: SourceLocation) async throws {
        // Generous: at the start of a parallel run, on two cores, the whole suite starts at once.
        let deadline = ContinuousClock.now + .seconds(60)
        var last = "never tried"
        while true {
            if let status = child.exitStatus {
                last = "postgres exited with \(status)"
                break
            }
            let answer = try await psql(["-A", "-t", "-c", "select 1"], sourceLocation: sourceLocation)
            if answer.status == 0, answer.out == "1\n" { return }
            last = "psql: \(answer.status) \(answer.out) \(answer.err)"
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "PostgreSQL in \(directory) never answered select 1: \(last)\nits log: \(log.suffix(3000))",
            sourceLocation: sourceLocation)
        await stop()
        throw CancellationError()
    }

    /// The ledger's cleanup (synchronous): what ``stop()`` does, waiting by blocking.
    private static func shutDownBlocking(_ child: ChildProcess, _ directory: String) {
        child.signal(SIGINT)
        if child.waitForExitBlocking(timeout: .seconds(30)) == nil {
            child.signal(SIGQUIT)
            _ = child.waitForExitBlocking(timeout: .seconds(10))
        }
        finish(child, directory)
    }

    /// Kills (SIGKILL) the postmaster's group and whatever still works in `directory`, removes
    /// the SysV segment the postmaster made if a kill left it, then the folder.
    private static func finish(_ child: ChildProcess, _ directory: String) {
        child.stop()
        // A backend killed now is reaped by init (or a subreaper), not by us: wait until it is
        // gone from /proc so that the folder and the segment are free.
        for _ in 0..<500 {
            let left = Unprivileged.processes(workingIn: directory)
            if left.isEmpty { break }
            for pid in left { kill(pid, SIGKILL) }
            usleep(10_000)
        }
        removeSharedMemory(createdBy: child.pid)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Removes the SysV shared memory segments `pid` created that nothing is attached to any
    /// more (read from `/proc/sysvipc/shm`): after a clean shutdown there is none.
    private static func removeSharedMemory(createdBy pid: pid_t) {
        guard let table = try? String(contentsOfFile: "/proc/sysvipc/shm", encoding: .utf8) else { return }
        for line in table.split(separator: "\n").dropFirst() {
            // key shmid perms size cpid lpid nattch …
            let fields = line.split(separator: " ")
            guard fields.count > 6, let id = Int32(fields[1]), pid_t(fields[4]) == pid, fields[6] == "0"
            else { continue }
            _ = shmctl(id, IPC_RMID, nil)
        }
    }
}

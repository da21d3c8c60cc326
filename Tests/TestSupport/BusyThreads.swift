import Foundation
import Testing

/// A few threads of the test process's own, for tests that keep a CPU busy for a long time
/// (rendering every terminal width, a million tiny chunks, thousands of damaged captures).
///
/// Swift Testing runs every test on the cooperative pool, which has one thread per core: two on
/// the machines this suite runs on. A synchronous test that computes for 15 s holds one of them
/// for 15 s; two such tests stall every other test of a parallel run, and the tests that wait on
/// a real program with a deadline (tmux, redis, flowtap) then fail although nothing is wrong.
/// Under ``RunsOnBusyThreads`` (`.busyThreads`) a test's jobs run here instead; the kernel shares
/// the cores between these threads and the pool's, so the waiting tests keep their turn.
///
/// The threads live as long as the process; jobs run in the order they were enqueued.
public final class BusyThreads: TaskExecutor, @unchecked Sendable {
    /// The executor the `.busyThreads` trait prefers.
    public static let shared = BusyThreads(count: 4)

    // The queue of jobs: guarded by `condition`'s lock (hence `@unchecked Sendable`).
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    private init(count: Int) {
        for index in 0..<count {
            // Named from inside: a name set before `start()` does not reach the thread on Linux
            // (it keeps its creator's, e.g. a pool thread's "oot.default-qos").
            Thread.detachNewThread { [self] in
                Thread.current.name = "busy-test-\(index)"
                Self.isBusyThread = true
                run()
            }
        }
    }

    /// True on the threads of ``BusyThreads`` (and only there): where a job really ran.
    public static var onBusyThread: Bool { isBusyThread }

    /// Set once by each of this executor's threads, at its start.
    nonisolated(unsafe) private static var isBusyThreadKey = pthread_key_t()
    private static let keyCreated: Bool = {
        pthread_key_create(&isBusyThreadKey, nil) == 0
    }()
    private static var isBusyThread: Bool {
        get { keyCreated && pthread_getspecific(isBusyThreadKey) != nil }
        set {
            guard keyCreated else { return }
            pthread_setspecific(isBusyThreadKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil)
        }
    }

    /// Queues `job` for the next free thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}

/// Runs each test of what it is given to on ``BusyThreads``, off the cooperative pool (see
/// there for why): a synchronous test body runs there whole. Child tasks usually follow, but not
/// always (one run in six put a task group's child on the pool); code it awaits elsewhere (an
/// actor, an event loop) runs where it always does.
public struct RunsOnBusyThreads: TestCaseScope {
    /// Runs the test with ``BusyThreads/shared`` as its preferred task executor.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BusyThreads.shared) { try await function() }
    }
}

extension Trait where Self == RunsOnBusyThreads {
    /// See ``RunsOnBusyThreads``.
    public static var busyThreads: Self { RunsOnBusyThreads() }
}

import FlowCore
import FlowTestSupport
import Synchronization
import Testing

/// Tokens on a shelf, taken one by one: the state of most tests below.
private struct Shelf: Sendable {
    var tokens = 0
    var taken: [Int] = []
}

/// Takes one token for waiter `id`, if there is one.
@Sendable private func takeToken(_ id: Int) -> @Sendable (inout Shelf) -> Int? {
    { shelf in
        guard shelf.tokens > 0 else { return nil }
        shelf.tokens -= 1
        shelf.taken.append(id)
        return id
    }
}

/// Lets other tasks run until `monitor` has `count` waiters (or the test is cancelled).
private func waiters<S>(_ monitor: AsyncMonitor<S>, _ count: Int) async {
    while monitor.waiting != count && !Task.isCancelled { await Task.yield() }
}

/// The unstructured tasks of one test, cancelled when the hang guard gives up, so that a lost
/// wake-up fails the test instead of hanging the suite.
private final class Spawned: Sendable {
    private let tasks = Mutex<[@Sendable () -> Void]>([])

    func callAsFunction<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Task<T, any Error> {
        let task = Task { try await body() }
        tasks.withLock { $0.append { task.cancel() } }
        return task
    }

    /// Runs `body` under the hang guard; on timeout every task spawned is cancelled.
    func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withTimeout {
            try await withTaskCancellationHandler(operation: body) {
                for cancel in self.tasks.withLock({ $0 }) { cancel() }
            }
        }
    }
}

@Suite("AsyncMonitor: the one waiting primitive")
struct AsyncMonitorTests {
    @Test("a take that succeeds at once returns without waiting, even in a cancelled task")
    func immediate() async throws {
        let monitor = AsyncMonitor(Shelf(tokens: 1))
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await monitor.waitToTake(takeToken(7))
        }
        #expect(try await task.value == 7)
        #expect(monitor.withLock { $0.tokens } == 0)
    }

    @Test("a waiter sleeps through changes that do not let it proceed, and wakes on the one that does")
    func predicate() async throws {
        let spawn = Spawned()
        try await spawn.guarded {
            let monitor = AsyncMonitor(0)
            let woke = spawn { try await monitor.waitToTake { $0 >= 3 ? $0 : nil } }
            await waiters(monitor, 1)
            monitor.withLock { $0 = 1 }
            monitor.withLock { $0 = 2 }
            #expect(monitor.waiting == 1)
            monitor.withLock { $0 = 5 }
            let value = try await woke.value
            #expect(value == 5)
            #expect(monitor.waiting == 0)
        }
    }

    @Test("waiters are served in arrival order, each seeing what the ones before it took")
    func fifo() async throws {
        let spawn = Spawned()
        try await spawn.guarded {
            let monitor = AsyncMonitor(Shelf())
            var tasks: [Task<Int, any Error>] = []
            for id in 0..<8 {
                tasks.append(spawn { try await monitor.waitToTake(takeToken(id)) })
                await waiters(monitor, id + 1)
            }
            monitor.withLock { $0.tokens = 3 }
            #expect(monitor.withLock { $0.taken } == [0, 1, 2])
            #expect(monitor.waiting == 5)
            monitor.withLock { $0.tokens += 1 }
            monitor.withLock { $0.tokens += 4 }
            for (id, task) in tasks.enumerated() {
                let value = try await task.value
                #expect(value == id)
            }
            #expect(monitor.withLock { $0.taken } == Array(0..<8))
        }
    }

    @Test("an older waiter that a younger one's take lets go on is woken in the same change")
    func olderAfterYounger() async throws {
        let spawn = Spawned()
        try await spawn.guarded {
            // A writer waits for room; a reader waits for a signal, then empties the queue.
            struct Queue: Sendable {
                var bytes = 1
                var go = false
            }
            let monitor = AsyncMonitor(Queue())
            let writer = spawn {
                try await monitor.waitToTake { q -> Bool? in
                    guard q.bytes == 0 else { return nil }
                    q.bytes = 1
                    return true
                }
            }
            await waiters(monitor, 1)
            let reader = spawn {
                try await monitor.waitToTake { q -> Bool? in
                    guard q.go, q.bytes > 0 else { return nil }
                    q.bytes = 0
                    return true
                }
            }
            await waiters(monitor, 2)
            monitor.withLock { $0.go = true }
            let (read, written) = (try await reader.value, try await writer.value)
            #expect(read && written)
            #expect(monitor.withLock { $0.bytes } == 1)
        }
    }

    @Test("a task cancelled while waiting is removed, throws CancellationError, and takes nothing")
    func cancelWhileWaiting() async throws {
        let spawn = Spawned()
        try await spawn.guarded {
            let monitor = AsyncMonitor(Shelf())
            let first = spawn { try await monitor.waitToTake(takeToken(1)) }
            await waiters(monitor, 1)
            let second = spawn { try await monitor.waitToTake(takeToken(2)) }
            await waiters(monitor, 2)
            first.cancel()
            await #expect(throws: CancellationError.self) { try await first.value }
            #expect(monitor.waiting == 1)
            // The cancelled waiter took nothing: the next token goes to the one still waiting.
            monitor.withLock { $0.tokens = 1 }
            let value = try await second.value
            #expect(value == 2)
            #expect(monitor.withLock { $0.taken } == [2])
        }
    }

    @Test("a task cancelled before it waits throws at once and never queues")
    func cancelBefore() async throws {
        let monitor = AsyncMonitor(Shelf())
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await monitor.waitToTake(takeToken(1))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(monitor.waiting == 0)
        monitor.withLock { $0.tokens = 1 }
        #expect(monitor.withLock { $0.tokens } == 1)
    }

    @Test("a body that throws still wakes the waiters its changes let go on")
    func throwingBody() async throws {
        struct Refused: Error {}
        let spawn = Spawned()
        try await spawn.guarded {
            let monitor = AsyncMonitor(Shelf())
            let waiter = spawn { try await monitor.waitToTake(takeToken(1)) }
            await waiters(monitor, 1)
            #expect(throws: Refused.self) {
                try monitor.withLock { (shelf: inout Shelf) throws(Refused) in
                    shelf.tokens = 1
                    throw Refused()
                }
            }
            let value = try await waiter.value
            #expect(value == 1)
        }
    }

    @Test("a thousand waiters on a thousand thresholds all wake, none twice, none left behind")
    func many() async throws {
        try await withTimeout {
            let monitor = AsyncMonitor(0)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for threshold in 1...1000 {
                    group.addTask { try await monitor.waitToTake { $0 >= threshold ? threshold : nil } }
                }
                await waiters(monitor, 1000)
                for _ in 0..<100 { monitor.withLock { $0 += 10 } }
                var woken: [Int] = []
                for try await threshold in group { woken.append(threshold) }
                #expect(woken.sorted() == Array(1...1000))
            }
            #expect(monitor.waiting == 0)
        }
    }

    @Test(
        "seeded random schedules of producers, consumers and cancellations lose and duplicate nothing (300 seeds)"
    )
    func stress() async throws {
        for seed in 0..<300 {
            var rng = SeededRandom(seed: UInt64(seed))
            let consumers = Int.random(in: 1...12, using: &rng)
            let produced = Int.random(in: 0...40, using: &rng)
            let cancelled = Set((0..<consumers).filter { _ in Bool.random(using: &rng) })
            let yields = (0..<(consumers + produced)).map { _ in Int.random(in: 0...3, using: &rng) }
            let monitor = AsyncMonitor(Shelf())
            let outcome = try await withTimeout { () -> (got: [Int], cancelledCount: Int) in
                var tasks: [Task<[Int], Never>] = []
                for id in 0..<consumers {
                    let pause = yields[id]
                    tasks.append(
                        Task {
                            var got: [Int] = []
                            for _ in 0..<pause { await Task.yield() }
                            // Each consumer takes tokens until it is cancelled.
                            while let token = try? await monitor.waitToTake(takeToken(id)) {
                                got.append(token)
                            }
                            return got
                        })
                }
                for index in 0..<produced {
                    for _ in 0..<yields[consumers + index] { await Task.yield() }
                    monitor.withLock { $0.tokens += 1 }
                    if index % 7 == 3 {
                        for id in cancelled where id % 2 == index % 2 { tasks[id].cancel() }
                    }
                }
                for task in tasks { task.cancel() }
                var got: [Int] = []
                for task in tasks { got += await task.value }
                return (got, cancelled.count)
            }
            // Conservation: every token is either taken by exactly one waiter or still there.
            let (taken, left) = monitor.withLock { ($0.taken, $0.tokens) }
            #expect(taken.count + left == produced, "seed \(seed)")
            #expect(outcome.got.sorted() == taken.sorted(), "seed \(seed)")
            #expect(monitor.waiting == 0, "seed \(seed)")
        }
    }

    @Test("concurrent producers and waiters on many threads: every token taken exactly once")
    func concurrent() async throws {
        try await withTimeout {
            let monitor = AsyncMonitor(Shelf())
            let perWaiter = 200
            let waiterCount = 8
            try await withThrowingTaskGroup(of: Int.self) { group in
                for id in 0..<waiterCount {
                    group.addTask {
                        for _ in 0..<perWaiter { _ = try await monitor.waitToTake(takeToken(id)) }
                        return perWaiter
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<(perWaiter * waiterCount / 4) {
                            monitor.withLock { $0.tokens += 1 }
                            await Task.yield()
                        }
                        return 0
                    }
                }
                var total = 0
                for try await count in group { total += count }
                #expect(total == perWaiter * waiterCount)
            }
            #expect(monitor.withLock { $0.tokens } == 0)
            #expect(monitor.withLock { $0.taken.count } == perWaiter * waiterCount)
        }
    }
}

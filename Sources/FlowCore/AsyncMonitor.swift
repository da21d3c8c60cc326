import Synchronization

/// State behind a lock that tasks wait on until they can proceed: the one waiting primitive of
/// flowtap. Pipes, sockets, gates, send locks, fault combinators and replays all wait through it.
///
/// - ``withLock(_:)`` reads or changes the state. Before it returns, every waiter that can now
///   proceed is resumed. All changes go through it, so none can be missed: there is no separate
///   "notify" to forget, and no lost wake-up.
/// - ``waitToTake(_:)`` suspends until its `take` closure returns a value. `take` runs under the lock,
///   at once and then after every change, and may change the state itself (take a queued chunk,
///   take a lock); the value it returns is what the wait returns. When the waiter cannot proceed
///   yet, `take` must return `nil` *without changing anything*. ``wait(until:)`` is the same
///   for a bare condition.
/// - First in, first out: after a change, waiters are tried oldest first, each seeing what the
///   ones before it took, until none can proceed. A new caller never overtakes a waiter that
///   could proceed (none can, once a change has been handled).
/// - Cancellation: a task cancelled before or while it waits is removed and its wait throws
///   `CancellationError`. If its `take` succeeded first (cancellation raced with a change), the
///   wait returns that value instead, so what `take` took is never lost. A `take` that succeeds
///   at once returns without suspending, even in a cancelled task.
/// - Continuations are resumed outside the lock. `take` and the body of `withLock` run under the
///   lock: they must not block, and must not call this monitor again (the lock is not reentrant).
public final class AsyncMonitor<State>: Sendable {
    @usableFromInline
    let inner: Mutex<Inner>

    /// A monitor guarding `state`, with no waiters.
    public init(_ state: sending State) {
        inner = Mutex(Inner(state: state))
    }

    /// Runs `body` on the state under the lock, then resumes (outside the lock) every waiter
    /// that can now proceed, oldest first. A `body` that throws still wakes those its changes
    /// let go on.
    @inlinable
    public func withLock<Result: Sendable, E: Error>(
        _ body: (inout State) throws(E) -> Result
    ) throws(E) -> Result {
        let (outcome, ready) = inner.withLock { inner -> (Swift.Result<Result, E>, Wakeups) in
            let outcome: Swift.Result<Result, E>
            do throws(E) {
                outcome = .success(try body(&inner.state))
            } catch {
                outcome = .failure(error)
            }
            // Nobody waits (the usual case on the data path): nothing to try.
            return (outcome, inner.waiters.isEmpty ? Wakeups() : inner.takeReady())
        }
        ready.resume()
        return try outcome.get()
    }

    /// Waits until `take` returns a value, and returns it.
    ///
    /// `take` runs under the lock now and after every change until it returns non-`nil`; it may
    /// change the state when it does (and only then).
    /// - Throws: `CancellationError` when the task is cancelled before `take` succeeds; the
    ///   waiter is then gone and the state untouched by it.
    @inlinable
    public func waitToTake<Value: Sendable>(
        _ take: @escaping @Sendable (inout State) -> Value?
    ) async throws(CancellationError) -> Value {
        if let value = withLock({ take(&$0) }) { return value }
        // What `take` took, read once the task is resumed. Neither the waiter nor this slot is
        // a class generic over `Value`: `attempt` is a closure made here, in this (inlined,
        // specialized) function, so trying it, and freeing it all, cost no generic metadata
        // lookup. The slot is freed below, after the one resumption, when no `attempt` can run
        // any more (the waiter has left the queue, or never entered it).
        let taken = UnsafeMutablePointer<Value?>.allocate(capacity: 1)
        taken.initialize(to: nil)
        defer { taken.deallocate() }
        let waiter = Waiter { state in
            guard let value = take(&state) else { return false }
            taken.pointee = value
            return true
        }
        let took: Bool = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
                waiter.continuation = continuation
                let (now, ready) = inner.withLock { inner -> (Bool?, Wakeups) in
                    if waiter.attempt(&inner.state) { return (true, inner.takeReady()) }
                    if waiter.cancelled { return (false, Wakeups()) }
                    inner.waiters.append(waiter)
                    return (nil, Wakeups())
                }
                ready.resume()
                switch now {
                case true?: waiter.resume()
                case false?: waiter.resumeCancelled()
                case nil: break
                }
            }
        } onCancel: {
            let removed = inner.withLock { inner -> Bool in
                waiter.cancelled = true
                guard let index = inner.waiters.firstIndex(where: { $0 === waiter }) else { return false }
                inner.waiters.remove(at: index)
                return true
            }
            if removed { waiter.resumeCancelled() }
        }
        let value = taken.move()
        guard took, let value else { throw CancellationError() }
        return value
    }

    /// Waits until `condition` holds (checked under the lock now and after every change).
    /// - Throws: `CancellationError` when the task is cancelled before it holds.
    @inlinable
    public func wait(until condition: @escaping @Sendable (borrowing State) -> Bool)
        async throws(CancellationError)
    {
        try await waitToTake { state in condition(state) ? () : nil }
    }

    /// How many tasks are waiting now (for tests that must know a task reached its wait).
    public var waiting: Int { inner.withLock { $0.waiters.count } }

    // MARK: Machinery

    @usableFromInline
    struct Inner: ~Copyable {
        @usableFromInline var state: State
        @usableFromInline var waiters: [Waiter] = []

        @usableFromInline
        init(state: sending State) { self.state = state }

        /// Takes out every waiter that can proceed now, oldest first, running its `take`;
        /// starts again from the oldest after each one, since what it took may let an older
        /// one go on.
        @inlinable
        mutating func takeReady() -> Wakeups {
            var ready = Wakeups()
            var index = 0
            while index < waiters.count {
                let waiter = waiters[index]
                if waiter.attempt(&state) {
                    waiters.remove(at: index)
                    ready.add(waiter)
                    index = 0
                } else {
                    index += 1
                }
            }
            return ready
        }
    }

    /// Waiters to resume once the lock is released. Holds the usual single one inline, so
    /// waking one allocates nothing.
    @usableFromInline
    struct Wakeups: @unchecked Sendable {
        @usableFromInline var first: Waiter?
        @usableFromInline var more: [Waiter] = []

        @inlinable
        init() {}

        @inlinable
        mutating func add(_ waiter: Waiter) {
            if first == nil { first = waiter } else { more.append(waiter) }
        }

        @inlinable
        func resume() {
            guard let first else { return }
            first.resume()
            for waiter in more { waiter.resume() }
        }
    }

    /// A suspended task. Its fields are used under the monitor's lock, except the continuation,
    /// set before the waiter is queued and used once by whoever took it out of the queue.
    @usableFromInline
    final class Waiter: @unchecked Sendable {
        /// Set under the lock by the cancellation handler.
        @usableFromInline var cancelled = false
        /// Under the lock: runs the waiter's `take`; true when it succeeded (the waiter must
        /// then be taken out and resumed).
        @usableFromInline let attempt: (inout State) -> Bool
        /// Resumed with true once `attempt` succeeded, with false when cancelled.
        @usableFromInline var continuation: UnsafeContinuation<Bool, Never>?

        @inlinable
        init(_ attempt: @escaping (inout State) -> Bool) { self.attempt = attempt }

        /// Outside the lock, once: resumes the task, whose `attempt` succeeded.
        @inlinable
        func resume() { continuation?.resume(returning: true) }

        /// Outside the lock, once: resumes the task as cancelled.
        @inlinable
        func resumeCancelled() { continuation?.resume(returning: false) }
    }
}

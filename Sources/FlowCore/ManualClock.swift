import Synchronization

/// A clock that moves only when told to: inject it into ``copy(from:to:clock:)`` and
/// ``proxy(_:_:clock:)`` (or anything taking a `Clock`) for exact, repeatable durations without
/// sleeping on the wall clock.
///
/// `now` starts at zero. ``advance(by:)`` moves it forward and wakes every sleeper whose
/// deadline has been reached, in deadline order. A sleeping task that is cancelled throws
/// `CancellationError`.
public final class ManualClock: Clock, Sendable {
    /// A point on a ``ManualClock``: the time elapsed since the clock's zero.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        /// Time since the clock's zero.
        public var offset: Duration

        /// An instant `offset` after the clock's zero.
        public init(offset: Duration) { self.offset = offset }

        /// This instant moved by `duration`.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        /// Orders instants by offset.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        /// The offset, e.g. `"1.5 seconds"`.
        public var description: String { offset.description }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
    }

    private let state = Mutex(State())

    /// A clock at zero with no sleepers.
    public init() {}

    /// The current instant.
    public var now: Instant { state.withLock { $0.now } }

    /// The smallest step: one nanosecond.
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks are sleeping on this clock right now (for tests that must wait until a
    /// task reached its sleep before advancing).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Suspends until ``advance(by:)`` moves `now` to `deadline` or past it. Returns at once for
    /// a deadline not in the future.
    /// - Throws: `CancellationError` when the task is cancelled while sleeping.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Bool in
                    if deadline <= s.now { return true }
                    if let existing = s.sleepers[id], existing.continuation == nil {
                        return true  // cancelled before we got here
                    }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let sleeper = s.sleepers[id] {
                    s.sleepers[id] = nil
                    return sleeper.continuation
                }
                s.sleepers[id] = Sleeper(deadline: deadline, continuation: nil)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        state.withLock { s in
            if let sleeper = s.sleepers[id], sleeper.continuation == nil { s.sleepers[id] = nil }
        }
        try Task.checkCancellation()
    }

    /// Moves `now` forward by `duration` and wakes every sleeper whose deadline is reached, the
    /// earliest first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a manual clock only moves forward")
        let due = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let ready = s.sleepers.filter { $0.value.deadline <= now && $0.value.continuation != nil }
                .sorted { $0.value.deadline < $1.value.deadline }
            for (id, _) in ready { s.sleepers[id] = nil }
            return ready.compactMap { $0.value.continuation }
        }
        for continuation in due { continuation.resume() }
    }

    /// Moves `now` forward to `instant` (nothing happens if it is already there or past it).
    public func advance(to instant: Instant) {
        let delta = now.duration(to: instant)
        if delta > .zero { advance(by: delta) }
    }
}

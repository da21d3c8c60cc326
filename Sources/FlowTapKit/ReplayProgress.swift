import Synchronization

/// What a replay has received from its peer so far, for its sender to wait on: the byte count,
/// whether the peer's side has ended (FIN, error, or the replay stopped reading), and a change
/// counter. Waits are bounded by a timeout.
final class ReplayProgress: Sendable {
    /// The progress at one moment.
    struct Snapshot: Sendable {
        var bytes = 0
        var ended = false
        var changes = 0
    }

    private struct State: ~Copyable {
        var snapshot = Snapshot()
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
        var abandoned: Set<Int> = []
        var stoppedReading = false
    }

    private struct Waiter {
        var predicate: @Sendable (Snapshot) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state = Mutex(State())

    /// The progress now.
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// The replay stopped reading the peer: what still arrives is not the peer's answer any more
    /// (and its end is not the peer's FIN).
    func stopReading() {
        state.withLock { $0.stoppedReading = true }
    }

    /// Whether ``stopReading()`` was called.
    var stoppedReading: Bool { state.withLock { $0.stoppedReading } }

    /// `count` more bytes arrived.
    func add(_ count: Int) {
        update { $0.bytes += count }
    }

    /// The peer's side has ended; every wait returns.
    func end() {
        update { $0.ended = true }
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            change(&s.snapshot)
            s.snapshot.changes += 1
            var ready: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in s.waiters where waiter.predicate(s.snapshot) {
                ready.append(waiter.continuation)
                s.waiters[id] = nil
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Waits until `predicate` holds (checked at once and after every change), at most
    /// `timeout`; returns whether it holds at the end.
    func wait(timeout: Duration, until predicate: @escaping @Sendable (Snapshot) -> Bool) async -> Bool {
        if predicate(snapshot) { return true }
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { s -> Bool in
                        if s.abandoned.contains(id) || predicate(s.snapshot) { return true }
                        s.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            let pending = state.withLock { s in
                s.abandoned.insert(id)
                return s.waiters.removeValue(forKey: id)
            }
            pending?.continuation.resume()
        }
        state.withLock { _ = $0.abandoned.remove(id) }
        return predicate(snapshot)
    }
}

import FlowCore

/// What a replay has received from its peer so far, for its sender to wait on: the byte count,
/// the messages decoded (when the replay compares messages), whether the peer's side has ended (FIN, error, or the replay stopped reading), and a change
/// counter. Waits are bounded by a timeout.
final class ReplayProgress: Sendable {
    /// The progress at one moment.
    struct Snapshot: Sendable {
        var bytes = 0
        var messages = 0
        var ended = false
        var changes = 0
    }

    private struct State: Sendable {
        var snapshot = Snapshot()
        var stoppedReading = false
    }

    private let state = AsyncMonitor(State())

    /// The progress now.
    var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// The replay stopped reading the peer: what still arrives is not the peer's answer any more
    /// (and its end is not the peer's FIN).
    func stopReading() {
        state.withLock { $0.stoppedReading = true }
    }

    /// Whether ``stopReading()`` was called.
    var stoppedReading: Bool { state.withLock { $0.stoppedReading } }

    /// One more message of the peer was decoded.
    func addMessage() {
        update { $0.messages += 1 }
    }

    /// `count` more bytes arrived.
    func add(_ count: Int) {
        update { $0.bytes += count }
    }

    /// The peer's side has ended; every wait returns.
    func end() {
        update { $0.ended = true }
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { s in
            change(&s.snapshot)
            s.snapshot.changes += 1
        }
    }

    /// Waits until `predicate` holds (checked at once and after every change), at most
    /// `timeout`; returns whether it holds at the end. A cancelled task stops waiting at once
    /// (and also returns whether it holds).
    func wait(timeout: Duration, until predicate: @escaping @Sendable (Snapshot) -> Bool) async -> Bool {
        if predicate(snapshot) { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.state.wait(until: { predicate($0.snapshot) }) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return predicate(snapshot)
    }
}

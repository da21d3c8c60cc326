import Synchronization

/// Orders what is written to one direction's destination: the core proxy's chunks, the user's
/// injected bytes and the FIN. Whoever holds the lock reports its chunk and writes it, so the
/// order of the `data` events is the order on the wire.
///
/// Taking a free lock does not suspend; waiters are served first come, first served. Not
/// reentrant.
final class SendLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }
    private let state = Mutex(State())

    /// Takes the lock, waiting for the holder to let go.
    func lock() async {
        let free = state.withLock { s in
            if s.locked { return false }
            s.locked = true
            return true
        }
        if free { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let take = state.withLock { s in
                if s.locked {
                    s.waiters.append(continuation)
                    return false
                }
                s.locked = true
                return true
            }
            if take { continuation.resume() }
        }
    }

    /// Lets go of the lock, handing it to the first waiter if there is one.
    func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.head < s.waiters.count else {
                s.locked = false
                s.waiters.removeAll()
                s.head = 0
                return nil
            }
            defer { s.head += 1 }
            return s.waiters[s.head]
        }
        next?.resume()
    }

    /// Runs `body` holding the lock.
    func withLock<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}

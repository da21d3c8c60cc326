import FlowCore

/// Orders what is written to one direction's destination: the core proxy's chunks, the user's
/// injected bytes and the FIN. Whoever holds the lock reports its chunk and writes it, so the
/// order of the `data` events is the order on the wire.
///
/// Taking a free lock does not suspend; waiters are served first come, first served (an
/// ``AsyncMonitor``: the lock is handed to the oldest waiter in the same step that frees it, so
/// nobody overtakes it). A task cancelled while it waits stops waiting: ``lock()`` throws
/// `CancellationError` and the lock is not taken. Not reentrant.
final class SendLock: Sendable {
    private let locked = AsyncMonitor(false)

    /// Takes the lock, waiting for the holder to let go.
    /// - Throws: `CancellationError` when the task is cancelled while it waits (the lock is then
    ///   not taken, and must not be unlocked).
    func lock() async throws(CancellationError) {
        try await locked.waitToTake { (locked: inout Bool) -> Void? in
            if locked { return nil }
            locked = true
            return ()
        }
    }

    /// Takes the lock if it is free, without waiting; returns whether it did. A free lock has
    /// no waiters (a freed lock is handed to the oldest waiter at once), so this never
    /// overtakes one.
    func tryLock() -> Bool {
        locked.withLock { (locked: inout Bool) -> Bool in
            if locked { return false }
            locked = true
            return true
        }
    }

    /// Lets go of the lock, handing it to the oldest waiter if there is one.
    func unlock() {
        locked.withLock { $0 = false }
    }

    /// How many tasks wait for the lock now (for tests).
    var waiting: Int { locked.waiting }
}

import FlowTransport
import Synchronization

/// The connections of an ``Inspector`` that have no ``Session`` for ``Inspector/stop()`` to end:
/// those it passes through unobserved (`--only`) and proxy clients still in their handshake, by
/// session number, so that a stop resets those still open after its grace period.
final class PassThroughSet: Sendable {
    private let resets = Mutex<[Int: @Sendable () async -> Void]>([:])

    /// Registers session `id`, which `reset` ends.
    func insert(_ id: Int, reset: @escaping @Sendable () async -> Void) {
        resets.withLock { $0[id] = reset }
    }

    /// Forgets session `id` (it ended).
    func remove(_ id: Int) {
        _ = resets.withLock { $0.removeValue(forKey: id) }
    }

    /// Resets every connection still registered.
    func resetAll() async {
        for reset in resets.withLock({ Array($0.values) }) { await reset() }
    }
}

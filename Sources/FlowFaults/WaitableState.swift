import FlowCore
import Synchronization

/// A value behind a lock that tasks can wait on until a condition over it holds: the waiting
/// machinery the fault combinators share (the same scheme as ``PipeBuffer``).
///
/// Waiters are resumed outside the lock and always re-check their condition, so spurious
/// wake-ups are harmless. Every change that may satisfy a waiter must go through ``update(_:)``
/// (or be followed by ``wakeAll()``). A cancelled waiter wakes and reports the cancellation.
final class WaitableState<Value: Sendable>: Sendable {
    private struct Inner: Sendable {
        var value: Value
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
    }

    private let inner: Mutex<Inner>

    init(_ value: Value) { inner = Mutex(Inner(value: value)) }

    /// Reads or changes the value under the lock without waking anyone.
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        inner.withLock { body(&$0.value) }
    }

    /// Changes the value under the lock, then wakes every waiter to re-check its condition.
    @discardableResult
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R {
        let result = inner.withLock { body(&$0.value) }
        wakeAll()
        return result
    }

    /// Suspends until `condition` holds (checked under the lock). Returns false when the task was
    /// cancelled while waiting (or before).
    func wait(until condition: @escaping (borrowing Value) -> Bool) async -> Bool {
        // A wake-up only says that something changed: check again until the condition holds.
        while true {
            if Task.isCancelled { return false }
            if inner.withLock({ condition($0.value) }) { return true }
            guard await waitOnce(until: condition) else { return false }
        }
    }

    /// Suspends until the next change after which `condition` may hold (or at once if it does).
    /// Returns false when cancelled.
    private func waitOnce(until condition: @escaping (borrowing Value) -> Bool) async -> Bool {
        if Task.isCancelled { return false }
        let id = inner.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = inner.withLock { s in
                    if condition(s.value) || s.cancelled.contains(id) { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let continuation = inner.withLock { s in
                s.cancelled.insert(id)
                return s.waiters.removeValue(forKey: id)
            }
            continuation?.resume()
        }
        return inner.withLock { s in s.cancelled.remove(id) == nil }
    }

    /// Wakes every waiter; each re-checks its condition.
    func wakeAll() {
        let all = inner.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.waiters.isEmpty else { return [] }
            let all = Array(s.waiters.values)
            s.waiters.removeAll(keepingCapacity: true)
            return all
        }
        for continuation in all { continuation.resume() }
    }
}

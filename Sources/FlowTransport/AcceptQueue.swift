import NIOCore
import Synchronization

/// The connections a ``Listener`` accepted and nobody took yet, and the tasks waiting in
/// ``Listener/accept()``.
final class AcceptQueue: Sendable {
    typealias Waiter = UnsafeContinuation<Result<SocketFlow?, TransportError>, Never>

    private struct State: Sendable {
        var flows = CircularBuffer<SocketFlow>()
        var errors = CircularBuffer<TransportError>()
        var waiters: [(id: Int, continuation: Waiter)] = []
        var nextWaiterID = 0
        var closed = false
        /// Accepting is paused because too many connections wait to be taken.
        var acceptingHeld = false
        /// An accept failed and the listener stopped reading (``ListenerHandler`` turned
        /// auto-read off): it reads again at the next ``next()`` call, so the consumer's back-off
        /// decides when to try again, not the event loop.
        var pausedAfterError = false
        var serverChannel: (any Channel)?
    }

    private let state = Mutex(State())

    /// Hands a new connection to a waiting `accept`, or queues it; closes it if the listener
    /// is closed.
    func push(_ flow: SocketFlow) {
        let outcome: (Waiter?, Bool) = state.withLock { state in
            if state.closed { return (nil, true) }
            if !state.waiters.isEmpty { return (state.waiters.removeFirst().continuation, false) }
            state.flows.append(flow)
            return (nil, false)
        }
        if let waiter = outcome.0 { waiter.resume(returning: .success(flow)) }
        if outcome.1 { flow.core.abandon() }
    }

    /// How many accepted connections wait to be taken.
    var count: Int { state.withLock { $0.flows.count } }

    /// Sets the listening channel, whose accepting resumes when the queue empties.
    func attach(_ serverChannel: any Channel) {
        state.withLock { $0.serverChannel = serverChannel }
    }

    /// On the listener's event loop: whether accepting must pause (the queue is full).
    func shouldHoldAccepting() -> Bool {
        state.withLock { state in
            guard !state.closed, state.flows.count >= TransportTuning.acceptQueueLimit else { return false }
            state.acceptingHeld = true
            return true
        }
    }

    /// Reports an accept failure to one `accept` (keeps the latest few when nobody waits); the
    /// listener, which stopped reading, reads again at the `accept` call after this one.
    func push(_ error: TransportError) {
        let waiter: Waiter? = state.withLock { state in
            if state.closed { return nil }
            state.pausedAfterError = true
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            if state.errors.count >= 4 { state.errors.removeFirst() }
            state.errors.append(error)
            return nil
        }
        waiter?.resume(returning: .failure(error))
    }

    /// The next connection; nil once closed or when the task is cancelled.
    func next() async throws(TransportError) -> SocketFlow? {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Waiter) in
                var resumeAccepting: (any Channel)?
                var resumeAfterError: (any Channel)?
                let ready: Result<SocketFlow?, TransportError>? = state.withLock { state in
                    // An error is handed out first; accepting resumes at the call after it.
                    if let error = state.errors.popFirst() { return .failure(error) }
                    if state.pausedAfterError && !state.closed {
                        state.pausedAfterError = false
                        resumeAfterError = state.serverChannel
                    }
                    let flow = state.flows.popFirst()
                    if state.acceptingHeld && !state.closed
                        && state.flows.count < TransportTuning.acceptQueueLimit
                    {
                        state.acceptingHeld = false
                        resumeAccepting = state.serverChannel
                    }
                    if let flow { return .success(flow) }
                    if state.closed || Task.isCancelled { return .success(nil) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                resumeAccepting?.read()
                if let resumeAfterError { _ = resumeAfterError.setOption(.autoRead, value: true) }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: .success(nil))
        }
        return try result.get()
    }

    /// Stops queueing: waiting `accept`s return nil, queued connections are closed.
    func close() {
        let (waiters, flows) = state.withLock { state in
            state.closed = true
            defer {
                state.waiters = []
                state.flows.removeAll()
            }
            return (state.waiters.map(\.continuation), Array(state.flows))
        }
        for waiter in waiters { waiter.resume(returning: .success(nil)) }
        for flow in flows { flow.core.abandon() }
    }
}

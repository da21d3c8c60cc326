import FlowCore
import NIOCore

/// The connections a ``Listener`` accepted and nobody took yet, and the accept failures not yet
/// reported, behind the one waiting primitive (``FlowCore/AsyncMonitor``): tasks in
/// ``Listener/accept()`` wait on it for a connection, a failure, or the close.
final class AcceptQueue: Sendable {
    private struct State: Sendable {
        var flows = CircularBuffer<SocketFlow>()
        var errors = CircularBuffer<TransportError>()
        var closed = false
        /// Accepting is paused because too many connections wait to be taken.
        var acceptingHeld = false
        /// An accept failed and the listener stopped reading (``ListenerHandler`` turned
        /// auto-read off): it reads again at the next ``next()`` call, so the consumer's back-off
        /// decides when to try again, not the event loop.
        var pausedAfterError = false
        var serverChannel: (any Channel)?
    }

    /// What a waiting ``next()`` takes.
    private enum Taken: Sendable {
        /// A connection, and the listening channel to read from again if accepting was held.
        case flow(SocketFlow, resume: (any Channel)?)
        case failure(TransportError)
        case closed
    }

    private let state = AsyncMonitor(State())

    /// Queues a new connection for an `accept` (a waiting one takes it at once); closes it if the
    /// listener is closed.
    func push(_ flow: SocketFlow) {
        let closed = state.withLock { state -> Bool in
            if state.closed { return true }
            state.flows.append(flow)
            return false
        }
        if closed { flow.core.abandon() }
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
        state.withLock { state in
            if state.closed { return }
            state.pausedAfterError = true
            if state.errors.count >= 4 { state.errors.removeFirst() }
            state.errors.append(error)
        }
    }

    /// The next connection; nil once closed or when the task is cancelled.
    /// - Throws: the ``TransportError`` of a failed accept (each is reported once).
    func next() async throws(TransportError) -> SocketFlow? {
        // After a failure was reported, this call lets the listener read again.
        let resumeAfterError = state.withLock { state -> (any Channel)? in
            guard state.errors.isEmpty, state.pausedAfterError, !state.closed else { return nil }
            state.pausedAfterError = false
            return state.serverChannel
        }
        if let resumeAfterError { _ = resumeAfterError.setOption(.autoRead, value: true) }
        let taken: Taken
        do {
            taken = try await state.waitToTake { state -> Taken? in
                // A failure is handed out first; accepting resumes at the call after it.
                if let error = state.errors.popFirst() { return .failure(error) }
                if let flow = state.flows.popFirst() {
                    var resume: (any Channel)?
                    if state.acceptingHeld && !state.closed
                        && state.flows.count < TransportTuning.acceptQueueLimit
                    {
                        state.acceptingHeld = false
                        resume = state.serverChannel
                    }
                    return .flow(flow, resume: resume)
                }
                return state.closed ? .closed : nil
            }
        } catch {
            return nil  // cancelled
        }
        switch taken {
        case .flow(let flow, let resume):
            resume?.read()
            return flow
        case .failure(let error):
            throw error
        case .closed:
            return nil
        }
    }

    /// Stops queueing: waiting `accept`s return nil, queued connections are closed.
    func close() {
        let flows = state.withLock { state -> [SocketFlow] in
            state.closed = true
            defer { state.flows.removeAll() }
            return Array(state.flows)
        }
        for flow in flows { flow.core.abandon() }
    }
}

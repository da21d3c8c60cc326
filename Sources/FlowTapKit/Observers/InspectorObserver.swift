import FlowEvents

/// A reader of ``SessionEvent``s: the UI model, the event log, the capture writer.
///
/// ``record(_:)`` is called on the data path (an event-loop thread), synchronously, in the order
/// the events happened within a direction. It must never wait: the UI model only updates memory,
/// and slow readers (stdout, the disk) sit behind an ``EventQueue``, whose ``room()`` the
/// sessions await before each chunk, so back-pressure suspends the sessions' tasks instead of
/// blocking a thread.
public protocol InspectorObserver: Sendable {
    /// Takes one event. Must not throw or block; failures are the observer's to report.
    func record(_ event: SessionEvent)

    /// Returns when the observer can take a chunk's events without growing past its bound
    /// (at once for an observer with no bound). Cancelling the waiting task ends the wait.
    func room() async

    /// Whether ``room()`` would return at once now (`true` for an observer with no bound): checked
    /// without an async call before each chunk, so that ``room()`` is awaited only when the
    /// observer may push back.
    var hasRoom: Bool { get }

    /// Stops pushing back for good (flowtap is stopping: the sessions are about to be reset and
    /// must not wait for a reader that may never read): ``room()`` returns at once from now on,
    /// and nothing recorded is dropped.
    func stopPushingBack()
}

extension InspectorObserver {
    /// No bound: returns at once.
    public func room() async {}
    /// No bound: always.
    public var hasRoom: Bool { true }
    /// No bound: nothing to do.
    public func stopPushingBack() {}
}

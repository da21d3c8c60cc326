import FlowEvents

/// What an ``EventQueue`` hands its events to: the headless log, the capture writer.
///
/// ``consume(_:)`` runs on the queue's own thread, never on the data path, and may block (a
/// `write(2)` to a slow disk or a stalled pipe): only that thread waits; the sessions producing
/// the events are suspended (not blocked) once the queue is full.
public protocol EventConsumer: Sendable {
    /// Takes a batch of events, in the order they were recorded. Must not throw: failures are
    /// the consumer's to report (e.g. as a `capture_error` event recorded elsewhere).
    func consume(_ events: ArraySlice<SessionEvent>)
}

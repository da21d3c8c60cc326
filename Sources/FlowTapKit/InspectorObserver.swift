import FlowEvents

/// A reader of ``SessionEvent``s: the UI model, the event log, the capture writer.
///
/// ``record(_:)`` is called on the data path, synchronously, in the order the events happened
/// within a direction. It must not wait on anything slow other than its own output: the UI model
/// only updates memory; the capture writes to disk (so a slow disk pushes back on the traffic,
/// and nothing is dropped from the capture).
public protocol InspectorObserver: Sendable {
    /// Takes one event. Must not throw; failures are the observer's to report.
    func record(_ event: SessionEvent)
}

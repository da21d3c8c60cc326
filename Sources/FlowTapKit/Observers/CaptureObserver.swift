import FlowCapture
import FlowEvents
import Synchronization

/// The observer that writes every session into a pcapng capture as it happens.
///
/// Each event is written before ``record(_:)`` returns, so the capture never drops a byte and a
/// slow disk pushes back on the traffic. When writing fails (disk full, directory removed), the
/// capture stops, the failure is reported once through `onError` (as a `capture_error` event),
/// and forwarding goes on.
public final class CaptureObserver: InspectorObserver, EventConsumer {
    private let writer: CaptureWriter
    private let failed = Mutex<CaptureError?>(nil)
    private let onError: @Sendable (CaptureError) -> Void

    /// Writes to `writer`; the first failure goes to `onError`.
    public init(writer: CaptureWriter, onError: @escaping @Sendable (CaptureError) -> Void) {
        self.writer = writer
        self.onError = onError
    }

    /// The capture file's path.
    public var path: String { writer.path }

    /// The first failure to write or close the capture, `nil` while it is whole (flowtap exits
    /// with status 1 when there is one).
    public var failure: CaptureError? { failed.withLock { $0 } }

    /// Writes the event (events of no session, such as `listening`, and `held` write nothing).
    public func record(_ event: SessionEvent) {
        consume([event][...])
    }

    /// Writes a batch of events with one `write(2)` (see ``EventQueue``).
    public func consume(_ events: ArraySlice<SessionEvent>) {
        do {
            try writer.write(events)
        } catch {
            if remember(error) { onError(error) }
        }
    }

    /// Flushes and closes the capture; a failure is reported once, as for writes.
    public func close() {
        do {
            try writer.close()
        } catch {
            if remember(error) { onError(error) }
        }
    }

    /// Keeps the first failure; true when `error` is it.
    private func remember(_ error: CaptureError) -> Bool {
        failed.withLock { failed in
            guard failed == nil else { return false }
            failed = error
            return true
        }
    }
}

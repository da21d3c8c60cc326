import FlowCapture
import Synchronization

/// The observer that writes every session into a pcapng capture as it happens.
///
/// Each event is written before ``record(_:)`` returns, so the capture never drops a byte and a
/// slow disk pushes back on the traffic. When writing fails (disk full, directory removed), the
/// capture stops, the failure is reported once through `onError` (as a `capture_error` event),
/// and forwarding goes on.
public final class CaptureObserver: InspectorObserver {
    private let writer: CaptureWriter
    private let failed = Mutex(false)
    private let onError: @Sendable (CaptureError) -> Void

    /// Writes to `writer`; the first failure goes to `onError`.
    public init(writer: CaptureWriter, onError: @escaping @Sendable (CaptureError) -> Void) {
        self.writer = writer
        self.onError = onError
    }

    /// The capture file's path.
    public var path: String { writer.path }

    /// Writes the event's record, if it has one (listening, held and capture errors have none).
    public func record(_ event: InspectorEvent) {
        guard let session = event.session, let captured = Self.captureEvent(event.kind) else { return }
        do {
            try writer.write(CaptureRecord(session: session, timestamp: event.timestamp, event: captured))
        } catch {
            let first = failed.withLock { failed in
                defer { failed = true }
                return !failed
            }
            if first { onError(error) }
        }
    }

    /// Flushes and closes the capture; a failure is reported once, as for writes.
    public func close() {
        do {
            try writer.close()
        } catch {
            if failed.withLock({ !$0 }) { onError(error) }
        }
    }

    /// The capture comment of a fault event: `"s2c fault: latency=200ms"`.
    static func faultNote(_ direction: Direction, _ fault: String) -> String {
        "\(direction.rawValue) fault: \(fault)"
    }

    /// The direction and fault of a comment written by ``faultNote(_:_:)``, else `nil`.
    static func parseFaultNote(_ note: String) -> (Direction, String)? {
        for direction in Direction.allCases where note.hasPrefix(faultNote(direction, "")) {
            return (direction, String(note.dropFirst(faultNote(direction, "").count)))
        }
        return nil
    }

    static func captureEvent(_ kind: InspectorEvent.Kind) -> CaptureEvent? {
        switch kind {
        case .open(let client, let target): .open(client: client, server: target)
        case .connectError(let client, let target, let error):
            .connectError(client: client, server: target, error: error)
        case .data(let d, _, let bytes): .data(d, bytes)
        case .eof(let d): .eof(d)
        case .shutdown(let d): .shutdown(d)
        case .readError(let d, let e): .readError(d, e)
        case .writeError(let d, let e): .writeError(d, e)
        case .pause(let d): .pause(d)
        case .resume(let d): .resume(d)
        case .step(let d): .step(d)
        case .fault(let d, let fault): .note(faultNote(d, fault))
        case .close: .close
        case .rewrite(let d, let count, let originalBytes, let bytes, let digest):
            .note(
                "rewrite \(d): \(count) substitution\(count == 1 ? "" : "s"); "
                    + "original \(originalBytes) bytes, "
                    + "sha256 \(digest); sent \(bytes) bytes")
        case .listening, .held, .captureError: nil
        }
    }
}

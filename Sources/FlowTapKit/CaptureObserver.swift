import FlowCapture
import FlowEvents
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
    public func record(_ event: SessionEvent) {
        guard let session = event.conn, let captured = Self.captureEvent(event.kind) else { return }
        do {
            try writer.write(CaptureRecord(session: session, timestamp: event.time, event: captured))
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

    /// The capture comment of an edit, just before the data sent:
    /// `"c2s edit: held chunk replaced; original 14 bytes, sha256 HEX; sent 16 bytes"`.
    static func editNote(_ direction: Direction, originalBytes: Int, sha256: String, bytes: Int) -> String {
        "\(direction.rawValue) edit: held chunk replaced; original \(originalBytes) bytes, sha256 \(sha256); "
            + "sent \(bytes) bytes"
    }

    /// The capture comment of a dropped chunk: `"c2s drop: held chunk of 14 bytes, sha256 HEX, not sent"`.
    static func dropNote(_ direction: Direction, bytes: Int, sha256: String) -> String {
        "\(direction.rawValue) drop: held chunk of \(bytes) bytes, sha256 \(sha256), not sent"
    }

    /// The capture comment of injected bytes, just before their data: `"c2s inject: 5 bytes typed by the user"`.
    static func injectNote(_ direction: Direction, bytes: Int) -> String {
        "\(direction.rawValue) inject: \(bytes) bytes typed by the user"
    }

    /// The event a comment written by ``editNote(_:originalBytes:sha256:bytes:)``,
    /// ``dropNote(_:bytes:sha256:)`` or ``injectNote(_:bytes:)`` stands for (without the
    /// original bytes, which a capture does not keep), else `nil`.
    static func parseUserNote(_ note: String) -> SessionEvent.Kind? {
        let words = note.split(separator: " ").map(String.init)
        guard words.count >= 4, let direction = Direction(rawValue: words[0]) else { return nil }
        func number(_ text: String) -> Int? { Int(text) }
        switch words[1] {
        case "edit:" where words.count == 13 && words[2...4] == ["held", "chunk", "replaced;"]:
            guard let original = number(words[6]), let sent = number(words[11]) else { return nil }
            return .edit(
                direction, originalBytes: original, originalSHA256: String(words[9].dropLast()), bytes: sent,
                original: nil)
        case "drop:" where words.count == 11 && words[2...4] == ["held", "chunk", "of"]:
            guard let bytes = number(words[5]) else { return nil }
            return .drop(direction, bytes: bytes, sha256: String(words[8].dropLast()), original: nil)
        case "inject:" where words.count == 8:
            guard let bytes = number(words[2]) else { return nil }
            return .inject(direction, bytes: bytes)
        default:
            return nil
        }
    }

    static func captureEvent(_ kind: SessionEvent.Kind) -> CaptureEvent? {
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
        case .edit(let d, let originalBytes, let digest, let bytes, _):
            .note(editNote(d, originalBytes: originalBytes, sha256: digest, bytes: bytes))
        case .drop(let d, let bytes, let digest, _): .note(dropNote(d, bytes: bytes, sha256: digest))
        case .inject(let d, let bytes): .note(injectNote(d, bytes: bytes))
        case .listening, .held, .captureError, .acceptError, .acceptPaused, .acceptResumed: nil
        }
    }
}

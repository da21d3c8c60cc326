import FlowCapture
import FlowCore
import FlowEvents
import NIOCore
import Synchronization

/// The headless observer: one line per event on a file descriptor (stdout by default), as text
/// (with socat-style blocks of each chunk's bytes: `-x` hex, `-v` escaped text, see
/// ``PayloadForms``), or JSON Lines (`--json`, the schema of DESIGN.md §6).
///
/// ``record(_:)`` writes each event with one `write(2)` before it returns; behind an
/// ``EventQueue`` (as flowtap runs it), ``consume(_:)`` writes each batch with one `write(2)`, so
/// a script reading the output sees every event as soon as the queue's thread gets to it, and a
/// slow reader pushes back on the traffic (the sessions wait for room) instead of losing lines.
/// A failed write (a closed pipe) stops the output; forwarding goes on.
public final class EventLog: InspectorObserver, EventConsumer {
    /// How events are printed.
    public enum Format: Sendable {
        /// One readable line per event.
        case text
        /// JSON Lines.
        case json
    }

    private let format: Format
    private let payload: PayloadForms
    private let fd: Int32
    private let failed = Mutex(false)

    /// A log printing in `format` to `fd`; with a `payload`, data events carry their bytes in
    /// those forms (blocks in text, `"hex"` and `"text"` fields in JSON).
    public init(format: Format, payload: PayloadForms = [], fd: Int32 = 1) {
        self.format = format
        self.payload = payload
        self.fd = fd
    }

    /// Prints one event (the internal `held` event prints nothing).
    public func record(_ event: SessionEvent) {
        guard let line = line(event) else { return }
        write(line)
    }

    /// Prints a batch of events with one `write(2)` (see ``EventQueue``).
    public func consume(_ events: ArraySlice<SessionEvent>) {
        switch format {
        case .text:
            // Built as bytes (``EventFormatter/appendText(_:payload:to:)``): the lines of every
            // chunk and message cost no String.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(events.count * 80)
            for event in events { EventFormatter.appendText(event, payload: payload, to: &bytes) }
            if !bytes.isEmpty { write(bytes) }
        case .json:
            var text = ""
            for event in events {
                if let line = line(event) { text += line }
            }
            if !text.isEmpty { write(text) }
        }
    }

    private func line(_ event: SessionEvent) -> String? {
        switch format {
        case .json: EventFormatter.json(event, payload: payload).map { $0 + "\n" }
        case .text: EventFormatter.text(event, payload: payload)
        }
    }

    private func write(_ bytes: [UInt8]) {
        failed.withLock { failed in
            guard !failed else { return }
            if bytes.withUnsafeBytes({ DescriptorOutput.writeAll(fd, $0) }) != nil { failed = true }
        }
    }

    private func write(_ text: String) {
        failed.withLock { failed in
            guard !failed else { return }
            if DescriptorOutput.writeAll(fd, text) != nil { failed = true }
        }
    }
}

import FlowCapture
import FlowCore
import FlowEvents
import NIOCore
import Synchronization

/// The headless observer: one line per event on a file descriptor (stdout by default), as text,
/// socat-style hex dumps (`-x`), or JSON Lines (`--json`, the schema of DESIGN.md §6).
///
/// Each event is written with one `write(2)` before ``record(_:)`` returns, so a script reading
/// the output sees every event as it happens, and a slow reader pushes back on the traffic
/// instead of losing lines. A failed write (a closed pipe) stops the output; forwarding goes on.
public final class EventLog: InspectorObserver {
    /// How events are printed.
    public enum Format: Sendable {
        /// One readable line per event.
        case text
        /// JSON Lines.
        case json
    }

    private let format: Format
    private let hexdump: Bool
    private let fd: Int32
    private let failed = Mutex(false)

    /// A log printing in `format` to `fd`; with `hexdump`, data events carry their bytes (a hex
    /// dump block in text, a `"hex"` field in JSON).
    public init(format: Format, hexdump: Bool = false, fd: Int32 = 1) {
        self.format = format
        self.hexdump = hexdump
        self.fd = fd
    }

    /// Prints one event (the internal `held` event prints nothing).
    public func record(_ event: SessionEvent) {
        let line: String?
        switch format {
        case .json: line = EventFormatter.json(event, hex: hexdump).map { $0 + "\n" }
        case .text: line = EventFormatter.text(event, hexdump: hexdump)
        }
        guard let line else { return }
        write(line)
    }

    private func write(_ text: String) {
        failed.withLock { failed in
            guard !failed else { return }
            if DescriptorOutput.writeAll(fd, text) != nil { failed = true }
        }
    }
}

import FlowEvents
import Synchronization

/// The headless observer behind flowtap's exit summary: how many sessions there were, how many
/// failed to connect, the bytes sent each way, and the first capture error. It counts, and
/// keeps nothing else, so that a headless run does not pay for the UI's model
/// (``InspectorModel``) on every chunk.
///
/// ``Totals`` holds the same figures as an ``InspectorModel``'s snapshot of the same events
/// (``Totals/init(_:)``): a `data` event adds its size to its direction (a live session's data
/// events follow each other without gaps, so their sizes add up to the last offset the model
/// shows).
public final class SessionTally: InspectorObserver {
    /// The figures of a run.
    public struct Totals: Sendable, Equatable {
        /// Sessions opened or failed to connect.
        public var sessions = 0
        /// Sessions whose connect to the target failed.
        public var failedToConnect = 0
        /// Bytes sent client → server, over all sessions.
        public var clientToServer = 0
        /// Bytes sent server → client, over all sessions.
        public var serverToClient = 0
        /// The first capture error, if any.
        public var captureError: String?

        /// No session yet.
        public init() {}

        /// The figures of a model's snapshot: its sessions, their connect errors, and the bytes
        /// of each direction.
        public init(_ snapshot: InspectorSnapshot) {
            sessions = snapshot.sessions.count
            failedToConnect = snapshot.sessions.filter { $0.connectError != nil }.count
            clientToServer = snapshot.sessions.reduce(0) { $0 + $1.c2s.bytes }
            serverToClient = snapshot.sessions.reduce(0) { $0 + $1.s2c.bytes }
            captureError = snapshot.captureError
        }
    }

    private let state = Mutex(Totals())

    /// A tally of nothing yet.
    public init() {}

    /// The figures so far.
    public var totals: Totals { state.withLock { $0 } }

    /// Counts one event: `open` and `connect_error` a session, `data` its bytes, and the first
    /// `capture_error`; the others change nothing.
    public func record(_ event: SessionEvent) {
        switch event.kind {
        case .data(let direction, _, let bytes):
            let count = bytes.readableBytes
            state.withLock { totals in
                if direction == .c2s {
                    totals.clientToServer += count
                } else {
                    totals.serverToClient += count
                }
            }
        case .open:
            state.withLock { $0.sessions += 1 }
        case .connectError:
            state.withLock {
                $0.sessions += 1
                $0.failedToConnect += 1
            }
        case .captureError(let error):
            state.withLock { $0.captureError = $0.captureError ?? error }
        default:
            break
        }
    }
}

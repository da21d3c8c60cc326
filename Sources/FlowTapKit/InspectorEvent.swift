import FlowCapture
import FlowCore
import NIOCore

/// Something that happened in the inspector, reported by the taps and the accept loop to every
/// ``InspectorObserver`` (the UI model, the headless event log, the capture writer).
public struct InspectorEvent: Sendable {
    /// The session it belongs to (numbered from 1), or `nil` for the listener's own events.
    public var session: Int?
    /// When it happened: nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// What happened.
    public var kind: Kind

    /// What happened; the JSON names of DESIGN.md §6 are given for each case.
    public enum Kind: Sendable {
        /// `listening`: the listener is bound; `address` has the real port.
        case listening(address: String)
        /// `open`: a client connected and the connection to the target succeeded.
        case open(client: CaptureAddress, target: CaptureAddress)
        /// `connect_error`: the connection to the target failed; the client was closed.
        case connectError(client: CaptureAddress, target: CaptureAddress, error: String)
        /// `data`: a chunk read from the direction's source, at byte `offset` of the direction.
        case data(Direction, offset: Int, bytes: ByteBuffer)
        /// `eof`: the direction's source sent FIN (or ended).
        case eof(Direction)
        /// `shutdown`: the FIN was passed on to the direction's destination.
        case shutdown(Direction)
        /// `read_error`: reading the direction's source failed.
        case readError(Direction, String)
        /// `write_error`: writing the direction's destination failed.
        case writeError(Direction, String)
        /// `pause`: the user paused the direction.
        case pause(Direction)
        /// `resume`: the user resumed the direction.
        case resume(Direction)
        /// `step`: the user let one chunk of a paused direction through.
        case step(Direction)
        /// `fault`: a fault was applied to the direction (`"latency=200ms"`, in `--fault`'s
        /// form), or removed from it (the same text after a `-`: `"-latency=200ms"`).
        case fault(Direction, String)
        /// Not printed in JSON: the gate of a paused direction now holds a read chunk of `bytes`
        /// bytes (`nil`: it holds nothing any more, the chunk went on).
        case held(Direction, bytes: Int?)
        /// `rewrite`: `--rewrite` rules changed a chunk read from the direction's source
        /// (`count` substitutions) before it was reported and forwarded: the original had
        /// `originalBytes` bytes with SHA-256 `originalSHA256` (hex), the chunk sent has `bytes`.
        /// Reported just before that chunk's `data`; the capture records it as a note.
        case rewrite(Direction, count: Int, originalBytes: Int, bytes: Int, originalSHA256: String)
        /// `capture_error`: the capture file could not be written; forwarding goes on.
        case captureError(String)
        /// `close`: the session ended, with the statistics of each direction.
        case close(c2s: Stats, s2c: Stats)
    }

    /// An event stamped with the current wall-clock time.
    public init(session: Int?, _ kind: Kind, timestamp: UInt64 = WallClock.nanoseconds()) {
        self.session = session
        self.timestamp = timestamp
        self.kind = kind
    }
}

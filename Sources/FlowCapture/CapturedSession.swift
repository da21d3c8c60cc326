import FlowCore
import FlowEvents
import NIOCore

/// One session as loaded back from a capture by ``CaptureReader``: its events, as the live
/// proxy reported them.
///
/// Data comes back as `data` events rebuilt from the TCP segments, with offsets counted per
/// direction; everything else comes from the capture's event records, exactly as written (a
/// foreign capture gives `open`, `data`, `shutdown`, `read_error` and gap `note`s).
public struct CapturedSession: Sendable, Equatable {
    /// The session's id.
    public var id: Int
    /// The client, from the session's last `open` or `connect_error` event; `nil` if none.
    public var client: PeerAddress?
    /// The server, from the last `open` or `connect_error` event; `nil` if the capture has none.
    public var server: PeerAddress?
    /// The session's events, in the order they were written.
    public var events: [SessionEvent]
    /// Bytes of data so far in each direction (the next `data` event's offset).
    private var sent = [0, 0]

    /// Makes a session from its parts.
    public init(id: Int, client: PeerAddress?, server: PeerAddress?, events: [SessionEvent] = []) {
        self.id = id
        self.client = client
        self.server = server
        self.events = []
        for event in events { append(event) }
    }

    /// Appends `event` (of this session), taking the client and server from an `open` or
    /// `connect_error` event as documented on ``client`` and ``server``, and counting data.
    mutating func append(_ event: SessionEvent) {
        switch event.kind {
        case .open(let client, let target):
            self.client = client
            self.server = target
        case .connectError(let client, let target, _):
            self.client = client
            self.server = target
        case .data(let direction, _, let bytes):
            // Saturating: a gap's end read from a file may be as large as decoding allows.
            let i = direction == .c2s ? 0 : 1
            let (sum, overflow) = sent[i].addingReportingOverflow(bytes.readableBytes)
            sent[i] = overflow ? .max : sum
        case .gap(let direction, _, let to):
            sent[direction == .c2s ? 0 : 1] = max(sent[direction == .c2s ? 0 : 1], to)
        default:
            break
        }
        events.append(event)
    }

    /// Appends a chunk of `direction` at the offset the data so far gives it.
    mutating func appendData(_ direction: Direction, _ bytes: ByteBuffer, at time: UInt64) {
        append(
            SessionEvent(
                conn: id, .data(direction, offset: sent[direction == .c2s ? 0 : 1], bytes: bytes), time: time)
        )
    }

    /// What a `close` of an older capture (which kept no statistics) stands for, rebuilt from the
    /// data: every chunk counts as read and, unless the direction had a write error, as written
    /// (the chunk whose write failed was read, not written).
    func statsFromData(until time: UInt64) -> (c2s: Stats, s2c: Stats) {
        var stats = [Stats(), Stats()]
        var last = [0, 0]
        var failed = [false, false]
        for event in events {
            switch event.kind {
            case .data(let d, _, let bytes):
                let i = d == .c2s ? 0 : 1
                stats[i].readBytes += bytes.readableBytes
                stats[i].readOps += 1
                stats[i].writeBytes += bytes.readableBytes
                stats[i].writeOps += 1
                last[i] = bytes.readableBytes
            case .writeError(let d, _):
                let i = d == .c2s ? 0 : 1
                if !failed[i] && stats[i].writeOps > 0 {
                    stats[i].writeOps -= 1
                    stats[i].writeBytes -= last[i]
                }
                failed[i] = true
            default:
                break
            }
        }
        let start = events.first?.time ?? time
        let elapsed = Duration.nanoseconds(Int64(clamping: time >= start ? time - start : 0))
        stats[0].duration = elapsed
        stats[1].duration = elapsed
        return (stats[0], stats[1])
    }
}

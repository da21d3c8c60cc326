import FlowCapture
import FlowCore
import FlowEvents

/// Turns the sessions read from a capture back into the ``SessionEvent``s the live proxy
/// reported, for `flowtap view`.
///
/// Offsets are recomputed per direction. The `close` statistics are rebuilt from the data: every
/// chunk counts as read and, unless the direction had a write error, as written. A session whose
/// capture starts after its `open` (a foreign capture joined late) gets an `open` from its
/// addresses (`"?"` when unknown) before its first event.
public enum CaptureReplay {
    /// The events of every session, each session in its own order, sessions by id.
    public static func events(_ sessions: [CapturedSession]) -> [SessionEvent] {
        var events: [SessionEvent] = []
        for session in sessions {
            var offsets: [Direction: Int] = [.c2s: 0, .s2c: 0]
            var stats: [Direction: Stats] = [.c2s: Stats(), .s2c: Stats()]
            var failedWrite: Set<Direction> = []
            let start = session.records.first?.timestamp ?? 0
            var opened = false
            for record in session.records {
                switch record.event {
                case .open, .connectError: opened = true
                default:
                    if !opened {
                        opened = true
                        events.append(
                            SessionEvent(
                                conn: session.id,
                                .open(
                                    client: session.client ?? .unix(path: "?"),
                                    target: session.server ?? .unix(path: "?")),
                                time: record.timestamp))
                    }
                }
                let kind: SessionEvent.Kind
                switch record.event {
                case .open(let client, let server): kind = .open(client: client, target: server)
                case .connectError(let client, let server, let error):
                    kind = .connectError(
                        client: client ?? .unix(path: "(unknown)"), target: server, error: error)
                case .data(let d, let bytes):
                    kind = .data(d, offset: offsets[d]!, bytes: bytes)
                    offsets[d]! += bytes.readableBytes
                    stats[d]!.readBytes += bytes.readableBytes
                    stats[d]!.readOps += 1
                    stats[d]!.writeBytes += bytes.readableBytes
                    stats[d]!.writeOps += 1
                case .eof(let d): kind = .eof(d)
                case .shutdown(let d): kind = .shutdown(d)
                case .readError(let d, let e): kind = .readError(d, e)
                case .writeError(let d, let e):
                    kind = .writeError(d, e)
                    if failedWrite.insert(d).inserted, stats[d]!.writeOps > 0 {
                        // The chunk whose write failed was read, not written.
                        stats[d]!.writeOps -= 1
                        stats[d]!.writeBytes = max(0, stats[d]!.writeBytes - lastChunk(session, d))
                    }
                case .pause(let d): kind = .pause(d)
                case .resume(let d): kind = .resume(d)
                case .step(let d): kind = .step(d)
                case .note(let text):
                    if let (d, fault) = CaptureObserver.parseFaultNote(text) {
                        kind = .fault(d, fault)
                    } else if let user = CaptureObserver.parseUserNote(text) {
                        kind = user
                    } else {
                        continue
                    }
                case .close:
                    let elapsed = Duration.nanoseconds(Int64(record.timestamp &- start))
                    stats[.c2s]!.duration = elapsed
                    stats[.s2c]!.duration = elapsed
                    kind = .close(c2s: stats[.c2s]!, s2c: stats[.s2c]!)
                }
                events.append(SessionEvent(conn: session.id, kind, time: record.timestamp))
            }
        }
        return events
    }

    private static func lastChunk(_ session: CapturedSession, _ direction: Direction) -> Int {
        for record in session.records.reversed() {
            if case .data(let d, let bytes) = record.event, d == direction { return bytes.readableBytes }
        }
        return 0
    }
}

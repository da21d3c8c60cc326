import FlowCapture
import FlowCore
import FlowEvents

/// Turns the sessions read from a capture back into the ``SessionEvent``s the live proxy
/// reported, for `flowtap view`.
///
/// A capture keeps the events themselves, so this only makes sure each session starts the way a
/// live one does: a session whose capture starts after its `open` (a foreign capture joined
/// late, a capture started while it ran) gets an `open` from its addresses (`"?"` when unknown)
/// before its first event.
public enum CaptureReplay {
    /// The events of every session, each session in its own order, sessions by id.
    public static func events(_ sessions: [CapturedSession]) -> [SessionEvent] {
        var events: [SessionEvent] = []
        for session in sessions {
            guard let first = session.events.first else { continue }
            switch first.kind {
            case .open, .connectError:
                break
            default:
                events.append(
                    SessionEvent(
                        conn: session.id,
                        .open(
                            client: session.client ?? .unix(path: "?"),
                            target: session.server ?? .unix(path: "?")),
                        time: first.time))
            }
            events += session.events
        }
        return events
    }
}

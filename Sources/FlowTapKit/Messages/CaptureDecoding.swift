import FlowCapture
import FlowEvents
import FlowFramers

/// The messages of captured sessions, for `flowtap view --decode`: the decoder's events of the
/// capture itself, or new ones from the sessions' bytes.
///
/// - `auto` (the default): a session whose capture holds decoding events (`decoder`, `message`,
///   `decode_error`, written by a flowtap that decoded live) is shown as captured; any other
///   (a capture of an older flowtap, a foreign pcap) is decoded from its `data` by
///   ``EventDecoder`` with `auto`, the target's port as the hint; when no decoder fits, the
///   session is left as it was (no `decoder none` is added to a capture that never had one).
/// - `none`: the capture's decoding events are left out; nothing is decoded.
/// - any other decoder: the capture's decoding events are left out and the session is decoded
///   again by that decoder.
///
/// Time and memory are linear in the sessions' events.
public enum CaptureDecoding {
    /// `sessions`, each with its decoding events as `spec` asks (see the type).
    public static func decoded(_ sessions: [CapturedSession], _ spec: DecoderSpec) -> [CapturedSession] {
        sessions.map { decoded($0, spec) }
    }

    /// `session` with its decoding events as `spec` asks (see the type).
    public static func decoded(_ session: CapturedSession, _ spec: DecoderSpec) -> CapturedSession {
        if spec == .auto && session.events.contains(where: isDecoding) { return session }
        let undecoded = session.events.filter { !isDecoding($0) }
        var events: [SessionEvent] = []
        if spec == .none {
            events = undecoded
        } else {
            var decoder = EventDecoder(spec, portHint: portHint(session))
            events.reserveCapacity(undecoded.count)
            for event in undecoded { events += decoder.decode(event) }
            events += decoder.finish(conn: session.id, time: undecoded.last?.time ?? 0)
            if spec == .auto && (decoder.spec == .none || decoder.spec == .auto) { return session }
        }
        return CapturedSession(id: session.id, client: session.client, server: session.server, events: events)
    }

    /// The port of the session's target, when it is a TCP address: `auto`'s hint.
    public static func portHint(_ session: CapturedSession) -> Int? {
        if case .ip(_, let port) = session.server { return port }
        return nil
    }

    /// Whether `event` is one a decoder reports.
    static func isDecoding(_ event: SessionEvent) -> Bool {
        switch event.kind {
        case .decoder, .message, .decodeError: true
        default: false
        }
    }
}

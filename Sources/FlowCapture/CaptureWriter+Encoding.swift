import FlowEvents
import NIOCore

extension CaptureWriter {
    /// Appends the packets of `event` of session `id` to `out`, updating the sessions' TCP
    /// state: `data` becomes TCP segments, `open` a handshake, `shutdown` a FIN, a read or write
    /// error an RST; every event but `data` also becomes a record on the event interface.
    static func encode(
        _ event: SessionEvent, session id: Int, sessions: inout [Int: TCPConversation],
        into out: inout PcapngBuilder
    ) {
        let time = event.time
        /// The session's conversation; one opened before this capture gets a `bind` record first.
        func conversation() -> TCPConversation {
            if let existing = sessions[id] { return existing }
            let wire = WireEndpoint.conversation(session: id, client: nil, server: nil)
            let comment = "flowtap #\(id): opened before this capture (TCP \(wire.client) → \(wire.server))"
            write(EventRecord(event: nil, conn: id, tcp: wire), direction: nil, comment: comment)
            return TCPConversation(session: id, client: wire.client, server: wire.server)
        }
        func write(_ record: EventRecord, direction: Direction?, comment: String) {
            record.encoded(time: time).withUnsafeBytes { bytes in
                out.packet(
                    interface: 1, timestamp: time, header: EventRecord.exportedPDUHeader, payload: bytes,
                    flags: direction.map { $0 == .c2s ? 1 : 2 }, comment: comment)
            }
        }
        func record(tcp: (client: WireEndpoint, server: WireEndpoint)? = nil) {
            let clipped = EventRecord.clipped(event)
            write(
                EventRecord(event: clipped, conn: id, tcp: tcp), direction: event.kind.direction,
                comment: CaptureComment.text(clipped, conn: id, tcp: tcp))
        }

        switch event.kind {
        case .open(let client, let server):
            let wire = WireEndpoint.conversation(session: id, client: client, server: server)
            var tcp = TCPConversation(session: id, client: wire.client, server: wire.server)
            tcp.handshake(at: time, comment: CaptureComment.text(event, conn: id, tcp: wire), into: &out)
            sessions[id] = tcp
            record(tcp: wire)
        case .connectError, .handshakeError:
            sessions[id] = nil
            record()
        case .data(let direction, _, let buffer):
            var tcp = conversation()
            buffer.withUnsafeReadableBytes { bytes in
                tcp.data(from: .init(sending: direction), bytes, at: time, into: &out)
            }
            sessions[id] = tcp
        case .shutdown(let direction):
            var tcp = conversation()
            tcp.fin(from: .init(sending: direction), at: time, into: &out)
            sessions[id] = tcp
            record()
        case .readError(let direction, _):
            var tcp = conversation()
            tcp.reset(from: .init(sending: direction), at: time, into: &out)
            sessions[id] = tcp
            record()
        case .writeError(let direction, _):
            var tcp = conversation()
            tcp.reset(from: TCPConversation.Side(sending: direction).other, at: time, into: &out)
            sessions[id] = tcp
            record()
        case .close:
            sessions[id] = nil
            record()
        case .gap(let direction, let from, let to):
            // The sequence numbers jump over the bytes not kept, so Wireshark shows them missing
            // ("previous segment not captured") rather than joining the two sides of the cut.
            var tcp = conversation()
            tcp.skip(from: .init(sending: direction), count: to - from)
            sessions[id] = tcp
            record()
        case .held, .listening, .acceptError, .acceptPaused, .acceptResumed, .breakpoints:
            break
        case .eof, .pause, .resume, .step, .fault, .edit, .drop, .inject, .rewrite, .captureError, .note,
            .controlError, .decoder, .message, .decodeError, .tls, .tlsError:
            record()
        }
    }
}

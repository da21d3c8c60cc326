import FlowEvents
import NIOCore

extension CaptureWriter {
    /// Appends the packets of `record` to `out`, updating the sessions' TCP state.
    static func encode(
        _ record: CaptureRecord, sessions: inout [Int: TCPConversation], into out: inout PcapngBuilder
    ) {
        let id = record.session
        let time = record.timestamp
        /// The session's conversation; one opened before this capture gets a `bind` event first.
        func conversation() -> TCPConversation {
            if let existing = sessions[id] { return existing }
            let wire = WireEndpoint.conversation(session: id, client: nil, server: nil)
            var payload = EventPayload(session: id, event: "bind")
            payload.tcp = .init(client: wire.client.description, server: wire.server.description)
            let comment = "flowtap #\(id): opened before this capture (TCP \(wire.client) → \(wire.server))"
            event(payload, direction: nil, comment: comment)
            return TCPConversation(session: id, client: wire.client, server: wire.server)
        }
        func event(_ payload: EventPayload, direction: Direction?, comment: String) {
            payload.encoded().withUnsafeBytes { bytes in
                out.packet(
                    interface: 1, timestamp: time, header: EventPayload.exportedPDUHeader, payload: bytes,
                    flags: direction.map { $0 == .c2s ? 1 : 2 }, comment: comment)
            }
        }
        func event(_ direction: Direction?, tcp: (client: WireEndpoint, server: WireEndpoint)? = nil) {
            let payload = EventPayload(session: id, event: record.event, tcp: tcp)
            event(
                payload, direction: direction,
                comment: EventPayload.comment(session: id, event: record.event, tcp: tcp))
        }

        switch record.event {
        case .open(let client, let server):
            let wire = WireEndpoint.conversation(session: id, client: client, server: server)
            var tcp = TCPConversation(session: id, client: wire.client, server: wire.server)
            let comment = EventPayload.comment(session: id, event: record.event, tcp: wire)
            tcp.handshake(at: time, comment: comment, into: &out)
            sessions[id] = tcp
            event(nil, tcp: wire)
        case .connectError:
            sessions[id] = nil
            event(nil)
        case .data(let direction, let buffer):
            var tcp = conversation()
            out.bytes.reserveCapacity(
                out.bytes.count + buffer.readableBytes + 128
                    * (buffer.readableBytes / TCPConversation.maxSegment + 2))
            buffer.withUnsafeReadableBytes { bytes in
                tcp.data(from: .init(sending: direction), bytes, at: time, into: &out)
            }
            sessions[id] = tcp
        case .shutdown(let direction):
            var tcp = conversation()
            tcp.fin(from: .init(sending: direction), at: time, into: &out)
            sessions[id] = tcp
            event(direction)
        case .readError(let direction, _):
            var tcp = conversation()
            tcp.reset(from: .init(sending: direction), at: time, into: &out)
            sessions[id] = tcp
            event(direction)
        case .writeError(let direction, _):
            var tcp = conversation()
            tcp.reset(from: TCPConversation.Side(sending: direction).other, at: time, into: &out)
            sessions[id] = tcp
            event(direction)
        case .eof(let direction), .pause(let direction), .resume(let direction), .step(let direction):
            event(direction)
        case .note:
            event(nil)
        case .close:
            sessions[id] = nil
            event(nil)
        }
    }
}

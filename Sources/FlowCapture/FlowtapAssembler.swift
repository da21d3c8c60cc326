import FlowEvents
import NIOCore

/// Rebuilds the events of a capture written by ``CaptureWriter``: events from the event
/// interface, data chunks from the TCP segments (a chunk ends at PSH), in file order.
struct FlowtapAssembler {
    private struct Key: Hashable {
        var client: WireEndpoint
        var server: WireEndpoint
    }

    private struct Pending {
        var timestamp: UInt64
        var buffer: ByteBuffer
    }

    private struct Stream: Hashable {
        var session: Int
        var direction: Direction
    }

    private var sessions: [Int: CapturedSession] = [:]
    private var conversations: [Key: Int] = [:]
    private var pending: [Stream: Pending] = [:]

    /// Takes one event packet.
    mutating func event(_ packet: PcapngParser.Packet, name: String) throws(CaptureError) {
        let record: EventRecord
        do {
            record = try EventRecord.decode(
                try EventRecord.json(in: packet.data, linkType: packet.interface.linkType),
                time: packet.timestamp)
        } catch {
            throw .malformed(
                name,
                "corrupt event payload in packet \(packet.number) at offset \(packet.offset): \(error.text)")
        }
        let id = record.conn
        if let conversation = record.tcp {
            conversations[Key(client: conversation.client, server: conversation.server)] = id
        }
        guard var event = record.event else { return }
        event.conn = id
        // Taken out of the dictionary, so that appending does not copy the events.
        var session = sessions.removeValue(forKey: id) ?? CapturedSession(id: id, client: nil, server: nil)
        if record.rebuildStats {
            let stats = session.statsFromData(until: event.time)
            event.kind = .close(c2s: stats.c2s, s2c: stats.s2c)
        }
        session.append(event)
        sessions[id] = session
    }

    /// Takes one TCP segment; segments of unknown conversations and those without data are ignored.
    mutating func segment(_ segment: TCPSegment, timestamp: UInt64) {
        guard !segment.has(TCPConversation.syn | TCPConversation.fin | TCPConversation.rst),
            !segment.payload.isEmpty || segment.has(TCPConversation.psh)
        else { return }
        let id: Int
        let direction: Direction
        if let found = conversations[Key(client: segment.source, server: segment.destination)] {
            (id, direction) = (found, .c2s)
        } else if let found = conversations[Key(client: segment.destination, server: segment.source)] {
            (id, direction) = (found, .s2c)
        } else {
            return
        }
        let stream = Stream(session: id, direction: direction)
        let push = segment.has(TCPConversation.psh)
        if push && pending[stream] == nil {
            append(stream, Pending(timestamp: timestamp, buffer: ByteBuffer(bytes: segment.payload)))
            return
        }
        // Taken out of the dictionary, so that appending does not copy it.
        var chunk = pending.removeValue(forKey: stream) ?? Pending(timestamp: timestamp, buffer: ByteBuffer())
        chunk.buffer.writeBytes(segment.payload)
        if push {
            append(stream, chunk)
        } else {
            pending[stream] = chunk
        }
    }

    private mutating func append(_ stream: Stream, _ chunk: Pending) {
        let id = stream.session
        sessions[id, default: CapturedSession(id: id, client: nil, server: nil)].appendData(
            stream.direction, chunk.buffer, at: chunk.timestamp)
    }

    /// The sessions by id; a chunk cut short by the end of the file is kept as a last, shorter chunk.
    mutating func finish() -> [CapturedSession] {
        let order = Direction.allCases
        let cut = pending.sorted {
            ($0.key.session, order.firstIndex(of: $0.key.direction)!)
                < ($1.key.session, order.firstIndex(of: $1.key.direction)!)
        }
        for (stream, chunk) in cut { append(stream, chunk) }
        pending = [:]
        return sessions.values.sorted { $0.id < $1.id }
    }
}

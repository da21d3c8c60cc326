import NIOCore

/// Turns the TCP packets of a foreign capture (tcpdump, Wireshark) into sessions, numbered from 1
/// in the order their first packet appears.
///
/// The client is the sender of the SYN (or the receiver of the SYN/ACK; failing both, the side
/// with the higher port). Each session starts with `open`; each segment's new bytes become a
/// `data` record of its direction (retransmitted bytes are dropped; a gap becomes a `note`);
/// a FIN becomes `shutdown` of the sender's direction; an RST becomes `readError(…, "connection
/// reset by peer")` of the sender's direction. A SYN on a finished conversation starts a new
/// session.
struct ForeignAssembler {
    private struct Key: Hashable {
        var a: WireEndpoint
        var b: WireEndpoint
    }

    private struct Stream {
        var id: Int
        var client: WireEndpoint
        var next: [CaptureDirection: UInt32] = [:]
        var finished: Set<CaptureDirection> = []
        var reset = false
    }

    private var streams: [Key: Stream] = [:]
    private var sessions: [CapturedSession] = []

    mutating func segment(_ segment: TCPSegment, timestamp: UInt64) {
        let syn = segment.has(TCPConversation.syn)
        let ackFlag = segment.has(TCPConversation.ack)
        let key = Key(a: segment.source, b: segment.destination)
        let reversed = Key(a: segment.destination, b: segment.source)
        var found = streams[key].map { ($0, key) } ?? streams[reversed].map { ($0, reversed) }
        if let (stream, _) = found, syn, stream.reset || stream.finished.count == 2 {
            found = nil
        }
        var (stream, streamKey) =
            found
            ?? {
                let clientIsSource =
                    syn ? !ackFlag : segment.source.port >= segment.destination.port
                let client = clientIsSource ? segment.source : segment.destination
                let server = clientIsSource ? segment.destination : segment.source
                let id = sessions.count + 1
                let open = CaptureEvent.open(client: address(client), server: address(server))
                sessions.append(
                    CapturedSession(
                        id: id, client: address(client), server: address(server),
                        records: [CaptureRecord(session: id, timestamp: timestamp, event: open)]))
                let newKey = Key(a: client, b: server)
                streams[Key(a: server, b: client)] = nil
                return (Stream(id: id, client: client), newKey)
            }()
        let direction: CaptureDirection = segment.source == stream.client ? .c2s : .s2c
        func record(_ event: CaptureEvent) {
            sessions[stream.id - 1].records.append(
                CaptureRecord(session: stream.id, timestamp: timestamp, event: event))
        }
        if syn {
            stream.next[direction] = segment.seq &+ 1
        }
        var payload = segment.payload
        if !payload.isEmpty {
            let next = stream.next[direction] ?? segment.seq
            let distance = Int32(bitPattern: segment.seq &- next)
            if distance > 0 {
                record(.note("\(direction.rawValue): \(distance) bytes not captured"))
            } else if distance < 0 {
                payload = payload.dropFirst(Int(-Int64(distance)))
            }
            if !payload.isEmpty {
                record(.data(direction, ByteBuffer(bytes: payload)))
                let end = segment.seq &+ UInt32(truncatingIfNeeded: segment.payload.count)
                stream.next[direction] = end
            } else if stream.next[direction] == nil {
                stream.next[direction] = next
            }
        }
        if segment.has(TCPConversation.fin) && !stream.finished.contains(direction) {
            stream.finished.insert(direction)
            stream.next[direction] =
                (stream.next[direction] ?? segment.seq &+ UInt32(segment.payload.count)) &+ 1
            record(.shutdown(direction))
        }
        if segment.has(TCPConversation.rst) && !stream.reset {
            stream.reset = true
            record(.readError(direction, "connection reset by peer"))
        }
        streams[streamKey] = stream
    }

    private func address(_ endpoint: WireEndpoint) -> CaptureAddress {
        .ip(host: endpoint.host, port: Int(endpoint.port))
    }

    func finish() -> [CapturedSession] { sessions }
}

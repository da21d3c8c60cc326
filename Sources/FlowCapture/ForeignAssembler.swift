import FlowEvents
import NIOCore

/// Turns the TCP packets of a foreign capture (tcpdump, Wireshark) into sessions, numbered from 1
/// in the order their first packet appears.
///
/// The client is the sender of the SYN (or the receiver of the SYN/ACK; failing both, the side
/// with the higher port). Each session starts with `open`; each segment's new bytes become a
/// `data` record of its direction: retransmitted bytes are dropped, a segment that comes early
/// waits (up to ``maxEarlyBytes`` in ``maxEarlySegments`` a direction) for the ones before it,
/// and a gap that is never filled becomes a `note` ("c2s: 512 bytes not captured"). A FIN
/// becomes `shutdown` of the sender's direction; an RST becomes `readError(…, "connection reset
/// by peer")` of the sender's direction. A SYN on a finished conversation starts a new session.
struct ForeignAssembler {
    private struct Key: Hashable {
        var a: WireEndpoint
        var b: WireEndpoint
    }

    private struct Early {
        var seq: UInt32
        var timestamp: UInt64
        var payload: ArraySlice<UInt8>
    }

    private struct Stream {
        var id: Int
        var client: WireEndpoint
        var next: [Direction: UInt32] = [:]
        var early: [Direction: [Early]] = [:]
        var finished: Set<Direction> = []
        var reset = false
    }

    /// The most bytes held a direction while waiting for a missing segment.
    static let maxEarlyBytes = 4 << 20
    /// The most segments held a direction while waiting for a missing segment.
    static let maxEarlySegments = 256

    private var streams: [Key: Stream] = [:]
    private var sessions: [CapturedSession] = []

    mutating func segment(_ segment: TCPSegment, timestamp: UInt64) {
        let syn = segment.has(TCPConversation.syn)
        let key = Key(a: segment.source, b: segment.destination)
        let reversed = Key(a: segment.destination, b: segment.source)
        var found = streams[key].map { ($0, key) } ?? streams[reversed].map { ($0, reversed) }
        if let (stream, _) = found, syn, stream.reset || stream.finished.count == 2 {
            found = nil
        }
        var (stream, streamKey) = found ?? start(segment, at: timestamp)
        let direction: Direction = segment.source == stream.client ? .c2s : .s2c
        if syn {
            stream.next[direction] = segment.seq &+ 1
        }
        if !segment.payload.isEmpty {
            let next = stream.next[direction] ?? segment.seq
            if Int32(bitPattern: segment.seq &- next) > 0 {
                let early = Early(seq: segment.seq, timestamp: timestamp, payload: segment.payload)
                stream.early[direction, default: []].append(early)
                let held = stream.early[direction]!
                if held.count > Self.maxEarlySegments
                    || held.reduce(0, { $0 + $1.payload.count }) > Self.maxEarlyBytes
                {
                    drain(&stream, direction, force: true)
                }
            } else {
                deliver(&stream, direction, segment.seq, segment.payload, at: timestamp)
                drain(&stream, direction, force: false)
            }
        }
        if segment.has(TCPConversation.fin | TCPConversation.rst) {
            drain(&stream, direction, force: true)
        }
        if segment.has(TCPConversation.fin) && !stream.finished.contains(direction) {
            stream.finished.insert(direction)
            let end =
                stream.next[direction] ?? segment.seq &+ UInt32(truncatingIfNeeded: segment.payload.count)
            stream.next[direction] = end &+ 1
            record(stream, .shutdown(direction), at: timestamp)
        }
        if segment.has(TCPConversation.rst) && !stream.reset {
            stream.reset = true
            record(stream, .readError(direction, "connection reset by peer"), at: timestamp)
        }
        streams[streamKey] = stream
    }

    /// The sessions; segments still waiting for a missing one are delivered after a gap note.
    mutating func finish() -> [CapturedSession] {
        for (key, var stream) in streams where !stream.early.isEmpty {
            for direction in Direction.allCases {
                drain(&stream, direction, force: true)
            }
            streams[key] = stream
        }
        return sessions
    }

    /// A new session for `segment`'s conversation, with its `open` record.
    private mutating func start(_ segment: TCPSegment, at timestamp: UInt64) -> (Stream, Key) {
        let clientIsSource =
            segment.has(TCPConversation.syn)
            ? !segment.has(TCPConversation.ack) : segment.source.port >= segment.destination.port
        let client = clientIsSource ? segment.source : segment.destination
        let server = clientIsSource ? segment.destination : segment.source
        let id = sessions.count + 1
        let open = SessionEvent(
            conn: id, .open(client: address(client), target: address(server)), time: timestamp)
        sessions.append(
            CapturedSession(id: id, client: address(client), server: address(server), events: [open]))
        streams[Key(a: server, b: client)] = nil
        return (Stream(id: id, client: client), Key(a: client, b: server))
    }

    private mutating func record(_ stream: Stream, _ kind: SessionEvent.Kind, at timestamp: UInt64) {
        sessions[stream.id - 1].append(SessionEvent(conn: stream.id, kind, time: timestamp))
    }

    /// Delivers the bytes of `payload` (at `seq`) not delivered yet, after a note if some are missing.
    private mutating func deliver(
        _ stream: inout Stream, _ direction: Direction, _ seq: UInt32, _ payload: ArraySlice<UInt8>,
        at timestamp: UInt64
    ) {
        let next = stream.next[direction] ?? seq
        let distance = Int32(bitPattern: seq &- next)
        if distance > 0 {
            record(stream, .note("\(direction.rawValue): \(distance) bytes not captured"), at: timestamp)
        }
        let fresh = distance < 0 ? payload.dropFirst(Int(-Int64(distance))) : payload
        if !fresh.isEmpty {
            sessions[stream.id - 1].appendData(direction, ByteBuffer(bytes: fresh), at: timestamp)
            stream.next[direction] = seq &+ UInt32(truncatingIfNeeded: payload.count)
        } else if stream.next[direction] == nil {
            stream.next[direction] = next
        }
    }

    /// Delivers the early segments that are now in order, or all of them, in order, if `force`.
    private mutating func drain(_ stream: inout Stream, _ direction: Direction, force: Bool) {
        guard var early = stream.early.removeValue(forKey: direction) else { return }
        while !early.isEmpty {
            let next = stream.next[direction] ?? early[0].seq
            let index = early.indices.min {
                Int32(bitPattern: early[$0].seq &- next) < Int32(bitPattern: early[$1].seq &- next)
            }!
            guard force || Int32(bitPattern: early[index].seq &- next) <= 0 else { break }
            let segment = early.remove(at: index)
            deliver(&stream, direction, segment.seq, segment.payload, at: segment.timestamp)
        }
        if !early.isEmpty { stream.early[direction] = early }
    }

    private func address(_ endpoint: WireEndpoint) -> PeerAddress {
        .ip(host: endpoint.host, port: Int(endpoint.port))
    }
}

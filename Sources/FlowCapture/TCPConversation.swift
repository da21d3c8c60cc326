import FlowEvents

/// The synthesized TCP conversation of one session: endpoints, sequence numbers, and the
/// packets that say open, data, FIN and RST.
///
/// Sequence and acknowledgement numbers are consistent: every packet acknowledges all the other
/// side has sent; SYN and FIN take one number each. A side that sends a lot without hearing back
/// gets a pure ACK from its peer every ``ackInterval`` bytes, so Wireshark never sees a full window.
struct TCPConversation {
    enum Side: Int {
        case client = 0
        case server = 1

        var other: Side { self == .client ? .server : .client }

        /// The side that sends a direction's data (and its FIN).
        init(sending direction: Direction) {
            self = direction == .c2s ? .client : .server
        }
    }

    static let maxSegment = 65_495
    static let ackInterval: UInt64 = 64 << 20
    static let windowScale: UInt8 = 14
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10

    /// The client's and the server's endpoints, indexed by ``Side``.
    let endpoints: [WireEndpoint]
    private var nextSeq: [UInt32]
    private var unacked: [UInt64] = [0, 0]
    private var ipID: [UInt16] = [0, 0]

    /// A conversation whose initial sequence numbers are derived from the session id.
    init(session: Int, client: WireEndpoint, server: WireEndpoint) {
        self.endpoints = [client, server]
        let mixed = UInt64(bitPattern: Int64(session)) &* 0x9E37_79B9_7F4A_7C15
        nextSeq = [UInt32(truncatingIfNeeded: mixed >> 32), UInt32(truncatingIfNeeded: mixed)]
    }

    /// SYN, SYN/ACK, ACK; `comment` goes on the SYN.
    mutating func handshake(at timestamp: UInt64, comment: String, into out: inout PcapngBuilder) {
        // MSS 65495, NOP, window scale 14.
        let options: [UInt8] = [2, 4, 0xff, 0xd7, 1, 3, 3, Self.windowScale]
        segment(.client, Self.syn, options: options, at: timestamp, comment: comment, into: &out)
        nextSeq[0] &+= 1
        segment(.server, Self.syn | Self.ack, options: options, at: timestamp, into: &out)
        nextSeq[1] &+= 1
        segment(.client, Self.ack, at: timestamp, into: &out)
    }

    /// Advances `side`'s sequence numbers over `count` bytes that are not written (a gap).
    mutating func skip(from side: Side, count: Int) {
        nextSeq[side.rawValue] &+= UInt32(truncatingIfNeeded: count)
    }

    /// One chunk from `side`, split into segments of at most ``maxSegment`` bytes; PSH only on
    /// the last one (an empty chunk is one empty PSH segment).
    mutating func data(
        from side: Side, _ bytes: UnsafeRawBufferPointer, at timestamp: UInt64, into out: inout PcapngBuilder
    ) {
        var offset = 0
        repeat {
            let end = min(offset + Self.maxSegment, bytes.count)
            let flags = Self.ack | (end == bytes.count ? Self.psh : 0)
            let part = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            segment(side, flags, payload: part, at: timestamp, into: &out)
            nextSeq[side.rawValue] &+= UInt32(truncatingIfNeeded: part.count)
            unacked[side.rawValue] += UInt64(part.count)
            offset = end
        } while offset < bytes.count
        if unacked[side.rawValue] >= Self.ackInterval {
            segment(side.other, Self.ack, at: timestamp, into: &out)
        }
    }

    /// FIN+ACK from `side`; it takes one sequence number.
    mutating func fin(from side: Side, at timestamp: UInt64, into out: inout PcapngBuilder) {
        segment(side, Self.fin | Self.ack, at: timestamp, into: &out)
        nextSeq[side.rawValue] &+= 1
    }

    /// RST+ACK from `side`, with its current sequence number.
    mutating func reset(from side: Side, at timestamp: UInt64, into out: inout PcapngBuilder) {
        segment(side, Self.rst | Self.ack, at: timestamp, into: &out)
    }

    private mutating func segment(
        _ side: Side, _ flags: UInt8, options: [UInt8] = [], payload: UnsafeRawBufferPointer? = nil,
        at timestamp: UInt64, comment: String? = nil, into out: inout PcapngBuilder
    ) {
        let source = endpoints[side.rawValue]
        let destination = endpoints[side.other.rawValue]
        let payloadCount = payload?.count ?? 0
        let tcpLength = 20 + options.count + payloadCount
        let ackNumber = flags & Self.ack != 0 ? nextSeq[side.other.rawValue] : 0
        if flags & Self.ack != 0 { unacked[side.other.rawValue] = 0 }

        var header: [UInt8] = []
        header.reserveCapacity(40 + 20 + options.count)
        if source.isIPv6 {
            header += [0x60, 0, 0, 0]
            header += [
                UInt8(truncatingIfNeeded: tcpLength >> 8), UInt8(truncatingIfNeeded: tcpLength), 6, 64,
            ]
            header += source.address
            header += destination.address
        } else {
            let total = 20 + tcpLength
            let id = ipID[side.rawValue]
            ipID[side.rawValue] &+= 1
            header += [0x45, 0, UInt8(truncatingIfNeeded: total >> 8), UInt8(truncatingIfNeeded: total)]
            header += [UInt8(id >> 8), UInt8(id & 0xff), 0x40, 0, 64, 6, 0, 0]
            header += source.address
            header += destination.address
            var sum = InternetChecksum()
            sum.add(header)
            (header[10], header[11]) = sum.bytes
        }
        let tcpStart = header.count
        let seq = nextSeq[side.rawValue]
        header += [UInt8(source.port >> 8), UInt8(source.port & 0xff)]
        header += [UInt8(destination.port >> 8), UInt8(destination.port & 0xff)]
        for value in [seq, ackNumber] {
            header += [
                UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
            ]
        }
        header += [UInt8((20 + options.count) / 4) << 4, flags, 0xff, 0xff, 0, 0, 0, 0]
        header += options

        var sum = InternetChecksum()
        sum.add(source.address)
        sum.add(destination.address)
        sum.add([0, 6, UInt8(truncatingIfNeeded: tcpLength >> 8), UInt8(truncatingIfNeeded: tcpLength)])
        header.withUnsafeBytes { sum.add(UnsafeRawBufferPointer(rebasing: $0[tcpStart...])) }
        if let payload { sum.add(payload) }
        (header[tcpStart + 16], header[tcpStart + 17]) = sum.bytes

        out.packet(
            interface: 0, timestamp: timestamp, header: header, payload: payload,
            flags: side == .client ? 1 : 2, comment: comment)
    }
}

/// A TCP segment decoded from a captured packet (IPv4 or IPv6, behind a supported link layer).
struct TCPSegment {
    var source: WireEndpoint
    var destination: WireEndpoint
    var seq: UInt32
    var ack: UInt32
    var flags: UInt8
    var payload: ArraySlice<UInt8>

    func has(_ flag: UInt8) -> Bool { flags & flag != 0 }

    /// Decodes a packet of the given link type; `nil` for anything that is not a whole TCP
    /// header in an unfragmented IP packet (ARP, UDP, fragments, truncated headers…).
    init?(linkType: UInt16, packet: ArraySlice<UInt8>) {
        let ip: ArraySlice<UInt8>
        switch linkType {
        case 101, 12, 14, 228, 229:
            ip = packet
        case 0, 108:  // BSD loopback: a 4-byte address family
            guard packet.count >= 4 else { return nil }
            ip = packet.dropFirst(4)
        case 1:  // Ethernet, with VLAN tags skipped
            var offset = 12
            var type = UInt16(0)
            while true {
                guard packet.count >= offset + 2 else { return nil }
                type = UInt16(ByteReader.network(packet, offset, 2))
                if type == 0x8100 || type == 0x88A8 {
                    offset += 4
                } else {
                    break
                }
            }
            guard type == 0x0800 || type == 0x86DD else { return nil }
            ip = packet.dropFirst(offset + 2)
        case 113:  // Linux cooked capture
            guard packet.count >= 16 else { return nil }
            ip = packet.dropFirst(16)
        case 276:  // Linux cooked capture v2
            guard packet.count >= 20 else { return nil }
            ip = packet.dropFirst(20)
        default:
            return nil
        }
        self.init(ip: ip)
    }

    private init?(ip: ArraySlice<UInt8>) {
        guard let first = ip.first else { return nil }
        let tcp: ArraySlice<UInt8>
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0f) * 4
            guard headerLength >= 20, ip.count >= headerLength else { return nil }
            let total = Int(ByteReader.network(ip, 2, 2))
            let fragment = ByteReader.network(ip, 6, 2)
            guard ip[ip.startIndex + 9] == 6, fragment & 0x3fff == 0, total >= headerLength else {
                return nil
            }
            let start = ip.startIndex
            source = WireEndpoint(address: Array(ip[start + 12..<start + 16]), port: 0)
            destination = WireEndpoint(address: Array(ip[start + 16..<start + 20]), port: 0)
            tcp = ip[start + headerLength..<start + min(total, ip.count)]
        case 6:
            guard ip.count >= 40 else { return nil }
            let start = ip.startIndex
            var next = ip[start + 6]
            var offset = 40
            let end = min(40 + Int(ByteReader.network(ip, 4, 2)), ip.count)
            while next != 6 {
                guard [0, 43, 60].contains(next), offset + 8 <= end else { return nil }
                next = ip[start + offset]
                offset += (Int(ip[start + offset + 1]) + 1) * 8
            }
            guard offset <= end else { return nil }
            source = WireEndpoint(address: Array(ip[start + 8..<start + 24]), port: 0)
            destination = WireEndpoint(address: Array(ip[start + 24..<start + 40]), port: 0)
            tcp = ip[start + offset..<start + end]
        default:
            return nil
        }
        guard tcp.count >= 20 else { return nil }
        let dataOffset = Int(tcp[tcp.startIndex + 12] >> 4) * 4
        guard dataOffset >= 20, tcp.count >= dataOffset else { return nil }
        source.port = UInt16(ByteReader.network(tcp, 0, 2))
        destination.port = UInt16(ByteReader.network(tcp, 2, 2))
        seq = ByteReader.network(tcp, 4, 4)
        ack = ByteReader.network(tcp, 8, 4)
        flags = tcp[tcp.startIndex + 13]
        payload = tcp.dropFirst(dataOffset)
    }
}

/// Walks the packets of a classic pcap file (tcpdump's format, either byte order, microsecond
/// or nanosecond timestamps). Lengths are checked against the bytes that are there.
struct PcapParser {
    let bytes: [UInt8]
    let name: String
    private let reader: ByteReader
    private let nanosecondUnits: Bool

    /// `nil` when `bytes` does not start with a pcap magic number.
    init?(bytes: [UInt8], name: String) {
        guard bytes.count >= 4 else { return nil }
        let magic = Array(bytes[0..<4])
        switch magic {
        case [0xD4, 0xC3, 0xB2, 0xA1]:
            (reader, nanosecondUnits) = (ByteReader(bytes: bytes, bigEndian: false), false)
        case [0xA1, 0xB2, 0xC3, 0xD4]:
            (reader, nanosecondUnits) = (ByteReader(bytes: bytes, bigEndian: true), false)
        case [0x4D, 0x3C, 0xB2, 0xA1]:
            (reader, nanosecondUnits) = (ByteReader(bytes: bytes, bigEndian: false), true)
        case [0xA1, 0xB2, 0x3C, 0x4D]:
            (reader, nanosecondUnits) = (ByteReader(bytes: bytes, bigEndian: true), true)
        default: return nil
        }
        self.bytes = bytes
        self.name = name
    }

    /// Hands every packet to `handle`: link type, timestamp (nanoseconds), data.
    ///
    /// - Returns: `nil` when the file ends at a packet boundary, else a warning for a file cut
    ///   in the middle of a packet (it is read up to there).
    /// - Throws: ``CaptureError`` `.malformed` for a cut or foreign header.
    func parse(_ handle: (UInt16, UInt64, ArraySlice<UInt8>) -> Void) throws(CaptureError) -> String? {
        guard bytes.count >= 24 else { throw .malformed(name, "truncated pcap header") }
        let major = reader.u16(4)
        guard major == 2 else { throw .malformed(name, "unsupported pcap version \(major).\(reader.u16(6))") }
        let linkType = UInt16(truncatingIfNeeded: reader.u32(20))
        var offset = 24
        while offset < bytes.count {
            let cut = "the file ends in the middle of a packet at offset \(offset); read up to there"
            guard bytes.count - offset >= 16 else { return cut }
            let seconds = UInt64(reader.u32(offset))
            let fraction = UInt64(reader.u32(offset + 4))
            let captured = Int(reader.u32(offset + 8))
            guard captured <= bytes.count - offset - 16 else { return cut }
            let timestamp = seconds * 1_000_000_000 + fraction * (nanosecondUnits ? 1 : 1000)
            handle(linkType, timestamp, bytes[offset + 16..<offset + 16 + captured])
            offset += 16 + captured
        }
        return nil
    }
}

/// Appends pcapng blocks (little-endian) to a byte array.
struct PcapngBuilder {
    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceType: UInt32 = 1
    static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    static let linkTypeRaw: UInt16 = 101
    /// `LINKTYPE_USER0`: not written any more, still read as an event interface.
    static let linkTypeUser0: UInt16 = 147
    /// `LINKTYPE_WIRESHARK_UPPER_PDU`: a few tags, then a PDU for the dissector the tags name.
    static let linkTypeUpperPDU: UInt16 = 252
    static let eventInterfaceName = "flowtap-events"
    static let optionComment: UInt16 = 1
    static let optionFlags: UInt16 = 2
    static let optionName: UInt16 = 2
    static let optionTimestampResolution: UInt16 = 9
    static let optionUserApplication: UInt16 = 4

    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func option(_ code: UInt16, _ value: [UInt8]) {
        u16(code)
        u16(UInt16(value.count))
        bytes.append(contentsOf: value)
        pad()
    }

    /// Starts a block: returns the offset of its first byte for ``finishBlock(at:)``.
    private mutating func startBlock(_ type: UInt32) -> Int {
        let start = bytes.count
        u32(type)
        u32(0)  // total length, patched by finishBlock
        return start
    }

    private mutating func finishBlock(at start: Int) {
        let length = UInt32(bytes.count - start + 4)
        u32(length)
        for index in 0..<4 {
            bytes[start + 4 + index] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(index)))
        }
    }

    /// The UTF-8 of `text`, cut at a character boundary to fit an option (≤ 65535 bytes).
    static func optionText(_ text: String) -> [UInt8] {
        var utf8 = Array(text.utf8)
        if utf8.count > 65_535 {
            var end = 65_535
            while end > 0 && (utf8[end] & 0xC0) == 0x80 { end -= 1 }
            utf8.removeSubrange(end...)
        }
        return utf8
    }

    mutating func sectionHeader(application: String) {
        let start = startBlock(Self.sectionHeaderType)
        u32(Self.byteOrderMagic)
        u16(1)
        u16(0)
        u32(0xffff_ffff)
        u32(0xffff_ffff)  // section length: unknown
        option(Self.optionUserApplication, Self.optionText(application))
        u32(0)  // opt_endofopt
        finishBlock(at: start)
    }

    mutating func interface(linkType: UInt16, name: String) {
        let start = startBlock(Self.interfaceType)
        u16(linkType)
        u16(0)
        u32(0)  // snaplen: no limit
        option(Self.optionName, Self.optionText(name))
        option(Self.optionTimestampResolution, [9])
        u32(0)
        finishBlock(at: start)
    }

    /// An Enhanced Packet Block whose data is `header` followed by `payload`.
    mutating func packet(
        interface: UInt32, timestamp: UInt64, header: [UInt8], payload: UnsafeRawBufferPointer?,
        flags: UInt32?, comment: String?
    ) {
        let length = header.count + (payload?.count ?? 0)
        let start = startBlock(Self.enhancedPacketType)
        u32(interface)
        u32(UInt32(truncatingIfNeeded: timestamp >> 32))
        u32(UInt32(truncatingIfNeeded: timestamp))
        u32(UInt32(length))
        u32(UInt32(length))
        bytes.append(contentsOf: header)
        if let payload { bytes.append(contentsOf: payload) }
        pad()
        if flags != nil || comment != nil {
            if let comment { option(Self.optionComment, Self.optionText(comment)) }
            if let flags {
                u16(Self.optionFlags)
                u16(4)
                u32(flags)
            }
            u32(0)
        }
        finishBlock(at: start)
    }
}

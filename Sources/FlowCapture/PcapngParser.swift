/// Walks the blocks of a pcapng file (either byte order, any number of sections) and hands each
/// packet to a callback. Every length is checked against the bytes that are there, so damaged
/// input gives a ``CaptureError``, never a crash or an allocation larger than the file; the
/// work is linear in the file's size, whatever its blocks. A file cut in the middle of a block
/// (a full disk, a crash, `ulimit -f`) is read up to the cut: ``parse(_:)`` returns a warning.
struct PcapngParser {
    struct Interface {
        var linkType: UInt16
        var name: String = ""
        var resolution: UInt8 = 6
        var offsetSeconds: Int64 = 0
    }

    struct Packet {
        /// The 1-based packet number, as Wireshark counts frames.
        var number: Int
        /// The 0-based number of the section the packet is in (its interfaces are that
        /// section's).
        var section: Int
        /// The offset of the packet's block in the file.
        var offset: Int
        var interface: Interface
        /// Nanoseconds since the epoch.
        var timestamp: UInt64
        var data: ArraySlice<UInt8>
    }

    static let shbType: UInt32 = 0x0A0D_0D0A

    let bytes: [UInt8]
    let name: String

    private func malformed(_ reason: String) -> CaptureError { .malformed(name, reason) }

    /// `true` when `bytes` starts like a pcapng file.
    static func recognizes(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x0A && bytes[1] == 0x0D && bytes[2] == 0x0D && bytes[3] == 0x0A
    }

    /// Hands every packet, in file order, to `handle` with the interfaces of its section so far.
    ///
    /// - Returns: `nil` when the file ends at a block boundary, else a warning for a file cut in
    ///   the middle of a block after its section header: `the file ends in the middle of a
    ///   block at offset 2552 (324 bytes declared, 248 left); read up to there`.
    /// - Throws: ``CaptureError`` `.malformed` for a file that is not pcapng or is damaged
    ///   before its end (or cut inside its first section header), and whatever `handle` throws.
    func parse(_ handle: (Packet, _ interfaces: [Interface]) throws(CaptureError) -> Void)
        throws(CaptureError) -> String?
    {
        var offset = 0
        var bigEndian = false
        var interfaces: [Interface] = []
        var number = 0
        var section = -1
        func cut(_ detail: String) throws(CaptureError) -> String {
            guard section >= 0 else { throw malformed("truncated block at offset \(offset)\(detail)") }
            return "the file ends in the middle of a block at offset \(offset)\(detail); read up to there"
        }
        while offset < bytes.count {
            let left = bytes.count - offset
            guard left >= 12 else { return try cut(" (\(left) bytes left)") }
            var reader = ByteReader(bytes: bytes, bigEndian: bigEndian)
            let type = reader.u32(offset)
            if type == Self.shbType {
                let magic = Array(bytes[offset + 8..<offset + 12])
                if magic == [0x4D, 0x3C, 0x2B, 0x1A] {
                    bigEndian = false
                } else if magic == [0x1A, 0x2B, 0x3C, 0x4D] {
                    bigEndian = true
                } else if offset == 0 {
                    throw malformed("not a pcapng file")
                } else {
                    throw malformed("bad byte-order magic in the section header at offset \(offset)")
                }
                reader = ByteReader(bytes: bytes, bigEndian: bigEndian)
            }
            let length = Int(reader.u32(offset + 4))
            let minimum = type == Self.shbType ? 28 : 12
            guard length % 4 == 0, length >= minimum else {
                throw malformed("bad block length \(length) at offset \(offset)")
            }
            guard length <= left else { return try cut(" (\(length) bytes declared, \(left) left)") }
            let trailing = Int(reader.u32(offset + length - 4))
            guard trailing == length else {
                throw malformed(
                    "bad block length at offset \(offset): \(length) at the start, \(trailing) at the end")
            }
            let body = offset + 8
            let end = offset + length - 4
            switch type {
            case Self.shbType:
                let major = reader.u16(body + 4)
                let minor = reader.u16(body + 6)
                guard major == 1 else {
                    throw malformed("unsupported pcapng version \(major).\(minor) at offset \(offset)")
                }
                interfaces = []
                section += 1
            case 1:
                guard end - body >= 8 else { throw malformed("bad interface block at offset \(offset)") }
                var interface = Interface(linkType: reader.u16(body))
                try options(reader, from: body + 8, to: end, block: offset) { code, value in
                    switch code {
                    case 2: interface.name = String(decoding: value, as: UTF8.self)
                    case 9 where value.count >= 1: interface.resolution = value[value.startIndex]
                    case 14 where value.count >= 8:
                        interface.offsetSeconds = Int64(bitPattern: reader.u64(value.startIndex))
                    default: break
                    }
                }
                interfaces.append(interface)
            case 6, 2:
                guard end - body >= 20 else { throw malformed("bad packet block at offset \(offset)") }
                let id = type == 6 ? Int(reader.u32(body)) : Int(reader.u16(body))
                let units = UInt64(reader.u32(body + 4)) << 32 | UInt64(reader.u32(body + 8))
                let captured = Int(reader.u32(body + 12))
                guard captured <= end - body - 20 else {
                    throw malformed("packet longer than its block at offset \(offset)")
                }
                guard id < interfaces.count else {
                    throw malformed("packet for undefined interface \(id) at offset \(offset)")
                }
                number += 1
                let interface = interfaces[id]
                let packet = Packet(
                    number: number, section: section, offset: offset, interface: interface,
                    timestamp: Self.nanoseconds(units, interface),
                    data: bytes[body + 20..<body + 20 + captured])
                try handle(packet, interfaces)
            case 3:
                guard end - body >= 4 else { throw malformed("bad packet block at offset \(offset)") }
                guard !interfaces.isEmpty else {
                    throw malformed("packet for undefined interface 0 at offset \(offset)")
                }
                number += 1
                let captured = min(Int(reader.u32(body)), end - body - 4)
                let packet = Packet(
                    number: number, section: section, offset: offset, interface: interfaces[0], timestamp: 0,
                    data: bytes[body + 4..<body + 4 + captured])
                try handle(packet, interfaces)
            default:
                break  // name resolution, statistics, custom blocks: not needed
            }
            offset += length
        }
        return nil
    }

    private func options(
        _ reader: ByteReader, from start: Int, to end: Int, block: Int,
        _ handle: (UInt16, ArraySlice<UInt8>) -> Void
    ) throws(CaptureError) {
        var position = start
        while position + 4 <= end {
            let code = reader.u16(position)
            let length = Int(reader.u16(position + 2))
            if code == 0 { return }
            guard position + 4 + length <= end else {
                throw malformed("bad option length in the block at offset \(block)")
            }
            handle(code, bytes[position + 4..<position + 4 + length])
            position += 4 + (length + 3) / 4 * 4
        }
    }

    /// Converts a timestamp in the interface's units to nanoseconds since the epoch; values a
    /// `UInt64` cannot hold (a hostile resolution or offset) saturate instead of wrapping.
    static func nanoseconds(_ units: UInt64, _ interface: Interface) -> UInt64 {
        let exponent = Int(interface.resolution & 0x7f)
        var value: UInt64
        if interface.resolution & 0x80 != 0 {
            let product = units.multipliedFullWidth(by: 1_000_000_000)
            if exponent == 0 {
                value = product.high == 0 ? product.low : .max
            } else if exponent < 64 {
                value =
                    product.high >> exponent == 0
                    ? product.low >> exponent | product.high << (64 - exponent) : .max
            } else {
                value = product.high == 0 ? 0 : product.high >> (exponent - 64)
            }
        } else if exponent <= 9 {
            var scale: UInt64 = 1
            for _ in exponent..<9 { scale *= 10 }
            let (product, overflow) = units.multipliedReportingOverflow(by: scale)
            value = overflow ? .max : product
        } else {
            var scale: UInt64 = 1
            for _ in 9..<min(exponent, 28) { scale *= 10 }
            value = exponent > 28 ? 0 : units / scale
        }
        let offset = interface.offsetSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        if offset.overflow {
            return interface.offsetSeconds < 0 ? 0 : .max
        }
        if offset.partialValue >= 0 {
            let (sum, overflow) = value.addingReportingOverflow(UInt64(offset.partialValue))
            return overflow ? .max : sum
        }
        let back = offset.partialValue.magnitude
        return value >= back ? value - back : 0
    }
}

/// Reads integers of a given byte order from a byte array; callers check the bounds first.
struct ByteReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    func u16(_ offset: Int) -> UInt16 {
        let a = UInt16(bytes[offset])
        let b = UInt16(bytes[offset + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func u32(_ offset: Int) -> UInt32 {
        let a = UInt32(u16(offset))
        let b = UInt32(u16(offset + 2))
        return bigEndian ? a << 16 | b : b << 16 | a
    }

    func u64(_ offset: Int) -> UInt64 {
        let a = UInt64(u32(offset))
        let b = UInt64(u32(offset + 4))
        return bigEndian ? a << 32 | b : b << 32 | a
    }

    /// A big-endian (network order) integer of `count` bytes from a slice.
    static func network(_ bytes: ArraySlice<UInt8>, _ offset: Int, _ count: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<count { value = value << 8 | UInt32(bytes[bytes.startIndex + offset + index]) }
        return value
    }
}

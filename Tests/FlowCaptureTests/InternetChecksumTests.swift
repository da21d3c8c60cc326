import Testing

@testable import FlowCapture

/// RFC 1071's checksum, the slow way: big-endian 16-bit words (an odd last byte padded with a
/// zero), summed, folded, complemented.
private func referenceChecksum(_ bytes: ArraySlice<UInt8>) -> (UInt8, UInt8) {
    var sum: UInt32 = 0
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let high = UInt32(bytes[index])
        let low = index + 1 < bytes.endIndex ? UInt32(bytes[index + 1]) : 0
        sum += high << 8 | low
        sum = (sum & 0xffff) + (sum >> 16)
        index += 2
    }
    let value = ~UInt16(sum)
    return (UInt8(value >> 8), UInt8(value & 0xff))
}

@Suite("InternetChecksum")
struct InternetChecksumTests {
    @Test("RFC 1071's worked example")
    func rfcExample() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
        var sum = InternetChecksum()
        sum.add([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])
        #expect(sum.bytes == (0x22, 0x0d))
    }

    @Test("every length and alignment, vector steps and tails, against the reference")
    func matchesReference() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<(70_000)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var lengths = Array(0...130)
        lengths += [255, 256, 1000, 1460, 4096, 65_495]
        data.withUnsafeBytes { raw in
            for offset in 0..<8 {
                for length in lengths {
                    var sum = InternetChecksum()
                    sum.add(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                    let expected = referenceChecksum(data[offset..<(offset + length)])
                    #expect(sum.bytes == expected, "offset \(offset), length \(length)")
                }
            }
        }
    }

    @Test("all ones: the lanes never overflow and the fold carries")
    func allOnes() {
        let data = [UInt8](repeating: 0xff, count: 65_495)
        var sum = InternetChecksum()
        sum.add(data)
        #expect(sum.bytes == referenceChecksum(data[...]))
    }

    @Test("sums of several even chunks equal the sum of their concatenation")
    func chunked() {
        let data = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var whole = InternetChecksum()
        whole.add(data)
        var parts = InternetChecksum()
        parts.add(Array(data[0..<40]))
        parts.add(Array(data[40..<1074]))
        parts.add(Array(data[1074...]))
        #expect(parts.bytes == whole.bytes)
        #expect(whole.bytes == referenceChecksum(data[...]))
    }
}

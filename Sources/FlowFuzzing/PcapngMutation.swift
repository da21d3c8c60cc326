/// A structure-aware mutation of pcapng files, for the `capture` target: a byte-level mutation
/// of a whole file almost always breaks a block length, and the reader stops at the first one,
/// so most inputs never reach the session assembly. This one changes one block at a time and
/// writes the lengths back: it mutates a block's body (of a packet block, the packet alone, with
/// its captured and original lengths updated), or duplicates, drops or swaps whole blocks.
public enum PcapngMutation {
    /// A mutation of `bytes`, or `nil` when they are not a pcapng file with a whole first block.
    /// `random` picks what to do; `mutate` is the byte-level mutator (libFuzzer's
    /// `LLVMFuzzerMutate`), given a body and the most bytes it may grow to.
    public static func mutate(
        _ bytes: [UInt8], maxSize: Int, random: UInt32, mutate: ([UInt8], Int) -> [UInt8]
    ) -> [UInt8]? {
        guard bytes.count >= 12, bytes[0..<4] == [0x0A, 0x0D, 0x0D, 0x0A] else { return nil }
        let bigEndian = bytes[8..<12] == [0x1A, 0x2B, 0x3C, 0x4D]
        var blocks: [[UInt8]] = []
        var offset = 0
        while bytes.count - offset >= 12 {
            let length = Int(u32(bytes, offset + 4, bigEndian))
            guard length >= 12, length % 4 == 0, length <= bytes.count - offset else { break }
            blocks.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        guard !blocks.isEmpty else { return nil }
        let tail = Array(bytes[offset...])
        let index = Int(random >> 8) % blocks.count
        let other = Int(random >> 20) % blocks.count
        switch random % 16 {
        case 0: blocks.insert(blocks[index], at: other)
        case 1 where blocks.count > 1: blocks.remove(at: index)
        case 2: blocks.swapAt(index, other)
        default:
            let block = blocks[index]
            let type = u32(block, 0, bigEndian)
            var body = Array(block[8..<block.count - 4])
            let room = max(0, maxSize - (bytes.count - body.count))
            if type == 6 && body.count >= 20 {
                // An enhanced packet block: the packet's bytes, then its two lengths.
                let captured = min(Int(u32(body, 12, bigEndian)), body.count - 20)
                let packet = mutate(Array(body[20..<20 + captured]), max(captured, room - 20))
                let options = body[min(body.count, (20 + captured + 3) / 4 * 4)...]
                body =
                    Array(body[0..<12]) + word(UInt32(packet.count), bigEndian)
                    + word(UInt32(packet.count), bigEndian) + padded(packet) + options
            } else {
                body = padded(mutate(body, max(body.count, room)))
            }
            let length = word(UInt32(body.count + 12), bigEndian)
            blocks[index] = Array(block[0..<4]) + length + body + length
        }
        let out = blocks.flatMap { $0 } + tail
        return out.count <= maxSize ? out : nil
    }

    private static func u32(_ bytes: [UInt8], _ at: Int, _ bigEndian: Bool) -> UInt32 {
        let value = bytes[at..<at + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return bigEndian ? value.byteSwapped : value
    }

    private static func word(_ value: UInt32, _ bigEndian: Bool) -> [UInt8] {
        let value = bigEndian ? value.byteSwapped : value
        return (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
    }
}

import FlowTapKit
import NIOCore

extension PaneContent {
    /// The columns of a hex line of `n` bytes with offsets of `digits` hex digits, after the
    /// prefix: `00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a 0d 0a  |*1..$4..PING....|`.
    static func hexWidth(_ n: Int, digits: Int = 8) -> Int {
        digits + 2 + 3 * n + (n > 8 ? 1 : 0) + 1 + n + 2
    }

    /// The bytes per hex line for a chunk of `length` bytes: 16, else 8, else 4, whichever
    /// fits (with a mark of `markWidth` columns after it).
    func bytesPerLine(digits: Int, markWidth: Int, length: Int) -> Int {
        let room = width - prefixWidth - markWidth
        return [16, 8].first { Self.hexWidth($0, digits: digits) - $0 + min($0, length) <= room } ?? 4
    }

    /// The hex dump of one chunk, `hexdump -C` style, with the direction's real offsets.
    func hexLines(_ chunk: HistoryChunk, _ direction: Direction) -> [PaneLine] {
        let bytes = Array(chunk.bytes.readableBytesView)
        let end = chunk.offset + bytes.count
        let digits = max(8, String(max(0, end - 1), radix: 16).count)
        let mark = Self.mark(chunk.kind)
        let n = bytesPerLine(digits: digits, markWidth: mark?.text.count ?? 0, length: bytes.count)
        var out: [PaneLine] = []
        var start = 0
        repeat {
            let count = min(n, bytes.count - start)
            let offset = chunk.offset + start
            var line = PaneLine()
            line.firstByte = offset
            let (arrow, arrowStyle) = prefix(direction, first: start == 0)
            line.append(arrow, arrowStyle)
            let hexOffset = String(offset, radix: 16)
            line.append(
                String(repeating: "0", count: max(0, digits - hexOffset.count)) + hexOffset,
                CellStyle(dim: true))
            line.append("  ", .plain)
            for j in 0..<n {
                if j < count {
                    line.append(DisplayText.hex(bytes[start + j]), byteStyle(chunk, direction, offset + j))
                    line.append(" ", .plain)
                } else {
                    line.append("   ", .plain)
                }
                if j == 7 && n > 8 { line.append(" ", .plain) }
            }
            line.append(" |", .plain)
            for j in 0..<count {
                let byte = bytes[start + j]
                let shown = (0x20..<0x7f).contains(byte) ? String(UnicodeScalar(byte)) : "."
                line.append(shown, byteStyle(chunk, direction, offset + j))
            }
            line.append("|", .plain)
            if let mark { line.append(mark.text, mark.style) }
            out.append(line)
            start += n
        } while start < bytes.count
        return out
    }
}

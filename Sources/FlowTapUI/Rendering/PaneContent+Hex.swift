import FlowEvents
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

    /// How a chunk's hex lines are laid out: offset digits and bytes per line.
    typealias HexLayout = (digits: Int, perLine: Int)

    /// The layout of `chunk`'s hex lines: as many offset digits as its last offset needs (at
    /// least 8), and the bytes per line that fit.
    func hexLayout(_ chunk: HistoryChunk) -> HexLayout {
        let count = chunk.bytes.readableBytes
        let digits = max(8, String(max(0, chunk.offset + count - 1), radix: 16).count)
        let mark = Self.mark(chunk.kind)
        return (digits, bytesPerLine(digits: digits, markWidth: mark?.text.count ?? 0, length: count))
    }

    /// Line `index` of the hex dump of `chunk`, `hexdump -C` style, with the direction's real
    /// offsets: the bytes from `index` × bytes-per-line on.
    func hexLine(_ chunk: HistoryChunk, _ direction: Direction, _ index: Int, _ layout: HexLayout) -> PaneLine
    {
        let (digits, n) = layout
        let mark = Self.mark(chunk.kind)
        let view = chunk.bytes.readableBytesView
        let start = index * n
        let bytes = Array(view[(view.startIndex + start)..<(view.startIndex + min(view.count, start + n))])
        let count = bytes.count
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
                line.append(DisplayText.hex(bytes[j]), byteStyle(chunk, direction, offset + j))
                line.append(" ", .plain)
            } else {
                line.append("   ", .plain)
            }
            if j == 7 && n > 8 { line.append(" ", .plain) }
        }
        line.append(" |", .plain)
        for j in 0..<count {
            let byte = bytes[j]
            let shown = (0x20..<0x7f).contains(byte) ? String(UnicodeScalar(byte)) : "."
            line.append(shown, byteStyle(chunk, direction, offset + j))
        }
        line.append("|", .plain)
        if let mark { line.append(mark.text, mark.style) }
        return line
    }
}

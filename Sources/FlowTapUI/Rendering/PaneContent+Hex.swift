import FlowEvents
import FlowTapKit
import NIOCore

extension PaneContent {
    /// The columns of a hex line of `n` bytes with offsets of `digits` hex digits, after the
    /// prefix: `00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a 0d 0a  |*1..$4..PING....|`.
    static func hexWidth(_ n: Int, digits: Int = 8) -> Int {
        digits + 2 + 3 * n + (n > 8 ? 1 : 0) + 1 + n + 2
    }

    /// The columns a mark needs after a full hex line: the short marks (`   (injected)`) fit.
    static let markColumn = 12

    /// The bytes per hex line: 16, else 8, else 4, whichever fits the pane's width. It depends
    /// on the width only, so that every row of a pane has the same layout, whatever the chunks'
    /// lengths and marks.
    var bytesPerLine: Int {
        let room = width - prefixWidth
        return [16, 8].first { Self.hexWidth($0) <= room } ?? 4
    }

    /// How a chunk's hex lines are laid out: offset digits, bytes per line, and whether its mark
    /// takes a line of its own after the rows (a marked chunk where the mark column does not fit
    /// after a full line).
    typealias HexLayout = (digits: Int, perLine: Int, markLine: Bool)

    /// The layout of `chunk`'s hex lines: as many offset digits as its last offset needs (at
    /// least 8), ``bytesPerLine``, and where its mark goes.
    func hexLayout(_ chunk: HistoryChunk) -> HexLayout {
        let count = chunk.bytes.readableBytes
        let digits = max(8, String(max(0, chunk.offset + count - 1), radix: 16).count)
        let perLine = bytesPerLine
        let room = width - prefixWidth - Self.hexWidth(perLine, digits: digits)
        return (digits, perLine, Self.mark(chunk.kind) != nil && room < Self.markColumn)
    }

    /// The hex rows of `chunk` (its mark line not counted).
    static func hexRows(_ chunk: HistoryChunk, _ layout: HexLayout) -> Int {
        max(1, (chunk.bytes.readableBytes + layout.perLine - 1) / layout.perLine)
    }

    /// Line `index` of the hex dump of `chunk`, `hexdump -C` style, with the direction's real
    /// offsets: the bytes from `index` × bytes-per-line on; `delta` goes in the Δt column of the
    /// first line.
    func hexLine(
        _ chunk: HistoryChunk, _ direction: Direction, _ index: Int, _ layout: HexLayout, delta: UInt64?
    ) -> PaneLine {
        let (digits, n, markLine) = layout
        let mark = Self.mark(chunk.kind)
        if markLine, let mark, index == Self.hexRows(chunk, layout) {
            // The mark's own line, under the chunk's bytes.
            var line = PaneLine()
            line.append(String(repeating: " ", count: prefixWidth + digits - 1), .plain)
            let room = width - prefixWidth - digits + 1
            line.append(mark.text.count <= room ? mark.text : mark.short, mark.style)
            return line
        }
        let view = chunk.bytes.readableBytesView
        let start = index * n
        let bytes = Array(view[(view.startIndex + start)..<(view.startIndex + min(view.count, start + n))])
        let count = bytes.count
        let offset = chunk.offset + start
        var line = PaneLine()
        line.firstByte = offset
        startLine(&line, direction, first: start == 0, delta: delta)
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
        if let mark, !markLine {
            // The marks start in one column: after the text column of a full line.
            line.append(String(repeating: " ", count: n - count), .plain)
            let room = width - prefixWidth - Self.hexWidth(n, digits: digits)
            line.append(mark.text.count <= room ? mark.text : mark.short, mark.style)
        }
        return line
    }
}

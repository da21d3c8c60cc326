import FlowCore
import FlowEvents
import FlowTapKit
import NIOCore

/// The body of one pane: its blocks (a note about dropped history, then one block per kept
/// chunk), each laid out as hex or text lines for the pane's width on demand, so a frame only
/// builds the lines it shows (a direction may keep 16 MiB).
final class PaneContent {
    /// A chunk (or a note) of the pane.
    struct Block {
        /// The chunk's direction.
        var direction: Direction
        /// The chunk's offset in its direction; -1 for the note.
        var key: Int
        /// The chunk, or `nil` for the note.
        var chunk: HistoryChunk?
        /// The note's text.
        var note: String = ""
        /// The time from the chunk before it in the pane (the first: from the session's open),
        /// shown in the Δt column; `nil` for the note.
        var delta: UInt64? = nil
    }

    /// A place in the body: a block and one of its lines.
    struct Position: Comparable {
        var block: Int
        var line: Int

        static func < (a: Position, b: Position) -> Bool { (a.block, a.line) < (b.block, b.line) }
    }

    let blocks: [Block]
    /// Columns available for a line.
    let width: Int
    let hex: Bool
    let ascii: Bool
    /// True for the conversation: lines start with a direction marker and are colored by direction.
    let conversation: Bool
    /// True when the lines start with the Δt column (``DeltaTime``): asked for, and in the hex
    /// view only where it leaves the 16-byte rows whole.
    let showsTimes: Bool
    let match: SearchMatch?
    private var cache: [Int: [PaneLine]] = [:]
    private var hexCache: [Int: [Int: PaneLine]] = [:]
    private var hexLayouts: [Int: HexLayout] = [:]

    /// The content of `pane` for `session`, laid out for `width` columns; with `times`, each
    /// chunk's first line starts with the time since the chunk before it (``showsTimes``).
    init(
        session: SessionSnapshot, pane: Pane, width: Int, hex: Bool, ascii: Bool, match: SearchMatch?,
        times: Bool = false
    ) {
        var blocks: [Block] = []
        if let direction = pane.direction {
            blocks += (session[direction].history + (session[direction].heldChunk.map { [$0] } ?? [])).map {
                Block(direction: direction, key: $0.offset, chunk: $0)
            }
        } else {
            blocks += ConversationOrder.chunks(of: session).map {
                Block(direction: $0.direction, key: $0.chunk.offset, chunk: $0.chunk)
            }
        }
        // Where the middle of a direction was cut, a line says which bytes are not kept.
        for direction in pane.direction.map({ [$0] }) ?? Direction.allCases {
            guard let cut = session[direction].cut else { continue }
            let note = Block(
                direction: direction, key: cut.lowerBound,
                note: "\(direction.rawValue) bytes \(ByteFormat.bytes(cut.lowerBound))–"
                    + "\(ByteFormat.bytes(cut.upperBound)) not kept (history limit)")
            let index =
                blocks.firstIndex { $0.direction == direction && $0.chunk != nil && $0.key >= cut.upperBound }
                ?? blocks.count
            blocks.insert(note, at: index)
        }
        // Δt: in the pane's order, so the conversation shows how long a reply took.
        var last = session.opened
        for index in blocks.indices {
            guard let chunk = blocks[index].chunk else { continue }
            blocks[index].delta = chunk.timestamp >= last ? chunk.timestamp - last : 0
            last = chunk.timestamp
        }
        self.blocks = blocks
        self.width = width
        self.hex = hex
        self.ascii = ascii
        self.conversation = pane == .conversation
        self.match = match
        let margin = pane == .conversation ? 2 : 1
        self.showsTimes =
            times && (!hex || Self.hexWidth(16) <= width - margin - DeltaTime.columnWidth)
    }

    /// The hex layout of block `index`'s chunk (computed once per frame), or `nil` when the
    /// block's lines are built whole: text view, or the note.
    private func hexLayout(_ index: Int) -> HexLayout? {
        guard hex, let chunk = blocks[index].chunk else { return nil }
        if let cached = hexLayouts[index] { return cached }
        let layout = hexLayout(chunk)
        hexLayouts[index] = layout
        return layout
    }

    /// The number of lines of block `index`. A hex chunk's lines are counted, not built: a
    /// 256 KiB chunk is 16,384 lines, and a frame shows a few of them.
    func lineCount(_ index: Int) -> Int {
        guard let layout = hexLayout(index) else { return lines(index).count }
        return Self.hexRows(blocks[index].chunk!, layout) + (layout.markLine ? 1 : 0)
    }

    /// Line `line` of block `index` (each built once per frame).
    func line(_ index: Int, _ line: Int) -> PaneLine {
        guard let layout = hexLayout(index) else { return lines(index)[line] }
        if let cached = hexCache[index]?[line] { return cached }
        let built = hexLine(
            blocks[index].chunk!, blocks[index].direction, line, layout, delta: blocks[index].delta)
        hexCache[index, default: [:]][line] = built
        return built
    }

    /// The line of block `index` showing the byte at `offset` of the direction.
    func lineIndex(_ index: Int, showing offset: Int) -> Int {
        if let layout = hexLayout(index) {
            let start = blocks[index].chunk!.offset
            return min(
                Self.hexRows(blocks[index].chunk!, layout) - 1, max(0, offset - start) / layout.perLine)
        }
        return lines(index).lastIndex(where: { ($0.firstByte ?? Int.max) <= offset }) ?? 0
    }

    /// The lines of block `index` (built once per frame): a chunk in the text view, or the
    /// note. Hex chunks are built line by line (``line(_:_:)``).
    private func lines(_ index: Int) -> [PaneLine] {
        if let cached = cache[index] { return cached }
        let block = blocks[index]
        var built: [PaneLine]
        if let chunk = block.chunk {
            built = textLines(chunk, block.direction, delta: block.delta)
        } else {
            var line = PaneLine()
            line.append(" " + (ascii ? "..." : "…") + " " + block.note, CellStyle(dim: true))
            built = [line]
        }
        if built.isEmpty { built = [PaneLine()] }
        cache[index] = built
        return built
    }

    /// Starts `line` with what precedes a chunk's bytes: the Δt column (when ``showsTimes``;
    /// filled on the chunk's first line, `delta` being its time from the chunk before), then the
    /// conversation's direction marker (`→ `/`← `, ASCII `> `/`< `) or the margin.
    func startLine(_ line: inout PaneLine, _ direction: Direction, first: Bool, delta: UInt64?) {
        if showsTimes {
            let text = first ? delta.map(DeltaTime.text) ?? "" : ""
            line.append(
                String(repeating: " ", count: DeltaTime.columnWidth - 1 - text.count) + text + " ",
                CellStyle(dim: true))
        }
        guard conversation else { return line.append(" ", .plain) }
        guard first else { return line.append("  ", .plain) }
        let arrow = direction == .c2s ? (ascii ? ">" : "→") : (ascii ? "<" : "←")
        line.append(arrow + " ", CellStyle(bold: true, role: role(direction)))
    }

    /// The columns taken by ``startLine(_:_:first:delta:)``.
    var prefixWidth: Int { (conversation ? 2 : 1) + (showsTimes ? DeltaTime.columnWidth : 0) }

    /// The style of the byte at `offset` of `chunk`, in `direction`: a search match (in a chunk
    /// sent, or in one replaced or dropped when the match is there), a held chunk, a chunk not sent (dim), else plain (colored by direction in
    /// the conversation).
    func byteStyle(_ chunk: HistoryChunk, _ direction: Direction, _ offset: Int) -> CellStyle {
        if chunk.kind.searchable != match?.unsent, let match, match.direction == direction,
            match.range.contains(offset)
        {
            return CellStyle(reverse: true, role: .match)
        }
        switch chunk.kind {
        case .held: return CellStyle(bold: true, role: .held)
        case .replaced, .dropped: return CellStyle(dim: true)
        case .forwarded, .edited, .injected: return conversation ? CellStyle(role: role(direction)) : .plain
        }
    }

    /// The suffix of every line of a chunk of `kind` (`nil` for a chunk forwarded as read), its
    /// short form (a hex line where the whole one does not fit) and its style.
    static func mark(_ kind: HistoryChunk.Kind) -> (text: String, short: String, style: CellStyle)? {
        switch kind {
        case .forwarded: nil
        case .held: ("   (held)", "   (held)", CellStyle(bold: true, role: .held))
        case .edited: ("   (edited)", "   (edited)", CellStyle(bold: true, role: .held))
        case .injected: ("   (injected)", "   (injected)", CellStyle(bold: true, role: .held))
        case .replaced: ("   (original, not sent)", "   (original)", CellStyle(dim: true))
        case .dropped: ("   (dropped, not sent)", "   (dropped)", CellStyle(dim: true))
        }
    }

    private func role(_ direction: Direction) -> ColorRole { direction == .c2s ? .c2s : .s2c }

    // MARK: scrolling

    /// The first position that shows the last `height` lines.
    func tail(_ height: Int) -> Position {
        var remaining = max(1, height)
        var index = blocks.count - 1
        while index >= 0 {
            let count = lineCount(index)
            if count >= remaining { return Position(block: index, line: count - remaining) }
            remaining -= count
            index -= 1
        }
        return Position(block: 0, line: 0)
    }

    /// `position` moved by `delta` lines, within the body.
    func move(_ position: Position, by delta: Int) -> Position {
        guard !blocks.isEmpty else { return position }
        var p = position
        var d = delta
        while d > 0 {
            let count = lineCount(p.block)
            if p.line + d < count {
                p.line += d
                d = 0
            } else if p.block + 1 < blocks.count {
                d -= count - p.line
                p = Position(block: p.block + 1, line: 0)
            } else {
                p.line = count - 1
                d = 0
            }
        }
        while d < 0 {
            if p.line + d >= 0 {
                p.line += d
                d = 0
            } else if p.block > 0 {
                d += p.line + 1
                p = Position(block: p.block - 1, line: lineCount(p.block - 1) - 1)
            } else {
                p.line = 0
                d = 0
            }
        }
        return p
    }

    /// The position of `anchor`, if its chunk is still kept.
    func position(of anchor: ScrollAnchor) -> Position? {
        guard
            let index = blocks.firstIndex(where: {
                $0.direction == anchor.direction && $0.key == anchor.offset
            })
        else { return nil }
        return Position(block: index, line: min(max(0, anchor.line), lineCount(index) - 1))
    }

    /// The anchor naming `position`.
    func anchor(_ position: Position) -> ScrollAnchor? {
        guard position.block < blocks.count else { return nil }
        let block = blocks[position.block]
        return ScrollAnchor(direction: block.direction, offset: block.key, line: position.line)
    }

    /// The line showing byte `match.offset`, if its chunk is kept.
    func position(of match: SearchMatch) -> Position? {
        guard
            let index = blocks.firstIndex(where: {
                guard $0.direction == match.direction, let chunk = $0.chunk,
                    chunk.kind.searchable != match.unsent
                else {
                    return false
                }
                return chunk.offset <= match.offset
                    && match.offset < chunk.offset + max(1, chunk.bytes.readableBytes)
            })
        else { return nil }
        return Position(block: index, line: lineIndex(index, showing: match.offset))
    }

    /// Up to `height` lines from `position` on.
    func visible(from position: Position, _ height: Int) -> [PaneLine] {
        var out: [PaneLine] = []
        var p = position
        while out.count < height && p.block < blocks.count {
            if p.line < lineCount(p.block) {
                out.append(line(p.block, p.line))
                p.line += 1
            } else {
                p = Position(block: p.block + 1, line: 0)
            }
        }
        return out
    }
}

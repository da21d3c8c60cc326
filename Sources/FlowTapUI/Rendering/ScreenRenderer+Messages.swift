import FlowCore
import FlowEvents
import FlowTapKit

extension ScreenRenderer {
    /// Draws the message view of `session` in rows `y..<y+height`: the list (a title, the
    /// decode errors, a line for the messages cut, then one row per message and held chunk,
    /// the selected one marked `>`), and below it the selected message's bytes. Settles the
    /// view's list scrolling (``MessageView/top``, ``MessageView/pageRows``).
    static func drawMessages(
        _ grid: inout CellGrid, _ session: SessionSnapshot, y: Int, height: Int, _ view: inout ViewState
    ) {
        guard var state = view.messages, height > 0 else { return }
        let ascii = view.ascii
        let rows = MessageRows(session: session, pairs: state.pairs)
        let selected = rows.index(of: state.selection)
        let bytesHeight = height >= 12 ? height * 2 / 5 : (height >= 6 ? 3 : 0)
        let listHeight = height - bytesHeight

        // The title.
        var title =
            " messages  #\(session.id)  " + (session.decoder.map { "decoder: \($0)" } ?? "no decoder yet")
        title +=
            "  \(arrow(.c2s, ascii)) \(session.c2s.messages)  \(arrow(.s2c, ascii)) \(session.s2c.messages)"
        title += state.pairs ? "  [request/reply pairs]" : "  [in arrival order]"
        title += "  ! = reply \(ascii ? ">=" : "≥") \(slowText) "
        let x = grid.put(
            DisplayText.fit(title, grid.width - 2, ascii: ascii), x: 0, y: y,
            style: CellStyle(bold: true, reverse: true, role: .title))
        grid.fill(ascii ? "-" : "─", y: y, from: x, style: CellStyle(dim: true))

        var row = y + 1
        let listEnd = y + listHeight
        for direction in Direction.allCases {
            guard row < listEnd, let failure = session[direction].decodeError else { continue }
            let text =
                " decode error in \(direction.rawValue) at offset \(failure.offset) (\(failure.proto)): "
                + "\(failure.error); the rest of \(direction.rawValue) went on undecoded"
            grid.put(
                DisplayText.fit(text, grid.width, ascii: ascii), x: 0, y: row,
                style: CellStyle(bold: true, role: .error))
            row += 1
        }
        if row < listEnd, session.messages.cutCount > 0 {
            let text =
                " \(ascii ? "..." : "…") \(session.messages.cutCount) older message"
                + "\(session.messages.cutCount == 1 ? "" : "s") not kept (the newest "
                + "\(session.messages.limit) are)"
            grid.put(
                DisplayText.fit(text, grid.width, ascii: ascii), x: 0, y: row, style: CellStyle(dim: true))
            row += 1
        }
        let visibleRows = max(1, listEnd - row)
        state.pageRows = visibleRows
        if rows.rows.isEmpty {
            if row < listEnd {
                let text: String
                if session.decoder == "none" {
                    text =
                        " no messages: this session is not decoded (--decode none, or auto found no protocol)"
                } else if session.c2s.messages + session.s2c.messages > 0 {
                    text = " no messages kept"
                } else {
                    text = " no messages yet"
                }
                grid.put(
                    DisplayText.fit(text, grid.width, ascii: ascii), x: 0, y: row, style: CellStyle(dim: true)
                )
            }
            state.top = nil
        } else {
            let selectedIndex = selected ?? rows.rows.count - 1
            // Keep the top row while the selection is within the page; else scroll to it.
            var first =
                state.top.flatMap { top in rows.index(of: top) } ?? max(0, rows.rows.count - visibleRows)
            if state.selection == nil || selectedIndex >= first + visibleRows {
                first = selectedIndex - visibleRows + 1
            }
            if selectedIndex < first { first = selectedIndex }
            first = max(0, min(first, rows.rows.count - 1))
            state.top = state.selection == nil ? nil : rows.selection(rows.rows[first])
            for index in first..<min(rows.rows.count, first + visibleRows) {
                drawMessageRow(
                    &grid, rows, index, selected: index == selectedIndex, y: row, ascii: ascii,
                    times: view.times)
                row += 1
            }
        }
        view.messages = state

        // The selected message's bytes.
        guard bytesHeight > 0 else { return }
        let top = y + listHeight
        let index = selected ?? (rows.rows.isEmpty ? nil : rows.rows.count - 1)
        var shown: SessionSnapshot?
        var pane = Pane.c2s
        var bytesTitle = " bytes: no message selected"
        var note: String?
        if let index {
            switch rows.rows[index] {
            case .message(let position, _):
                let record = session.messages[position]
                pane = record.direction == .c2s ? .c2s : .s2c
                shown = MessageBytes.session(session, record)
                bytesTitle =
                    " \(arrow(record.direction, ascii)) \(record.direction.rawValue) message \(record.index)  "
                    + "\(ByteFormat.bytes(record.bytes)) at offset \(record.offset)  \(record.summary)"
                if record.truncated { note = " the stream ended before this message was whole" }
            case .held(let direction):
                pane = direction == .c2s ? .c2s : .s2c
                shown = MessageBytes.held(session, direction)
                bytesTitle =
                    " \(arrow(direction, ascii)) \(direction.rawValue) held  "
                    + ByteFormat.bytes(session[direction].heldBytes ?? 0) + "  " + heldBy(session[direction])
            }
        }
        let tx = grid.put(
            DisplayText.fit(bytesTitle + " ", grid.width - 2, ascii: ascii), x: 0, y: top,
            style: CellStyle(bold: true, role: .title))
        grid.fill(ascii ? "-" : "─", y: top, from: tx, style: CellStyle(dim: true))
        guard let shown else { return }
        var bodyRow = top + 1
        let bodyEnd = top + bytesHeight
        if let note, bodyRow < bodyEnd {
            grid.put(
                DisplayText.fit(note, grid.width, ascii: ascii), x: 0, y: bodyRow, style: CellStyle(dim: true)
            )
            bodyRow += 1
        }
        let content = PaneContent(
            session: shown, pane: pane, width: grid.width, hex: view.hex, ascii: ascii, match: nil,
            times: view.times)
        guard !content.blocks.isEmpty else {
            if bodyRow < bodyEnd {
                grid.put(" no bytes", x: 0, y: bodyRow, style: CellStyle(dim: true))
            }
            return
        }
        let room = bodyEnd - bodyRow
        guard room > 0 else { return }
        var lines = content.visible(from: PaneContent.Position(block: 0, line: 0), room + 1)
        if lines.count > room {
            lines = Array(lines.prefix(room - 1))
            var more = PaneLine()
            more.append(
                " \(ascii ? "..." : "…") more: Enter shows the whole message in its pane",
                CellStyle(dim: true))
            lines.append(more)
        }
        for line in lines {
            var x = 0
            for span in line.spans { x = grid.put(span.text, x: x, y: bodyRow, style: span.style) }
            bodyRow += 1
        }
    }

    /// One row of the message list: `>` when selected, the direction's arrow (indented under
    /// its request in the pairs view), the index, the summary, with `times` the Δt from the
    /// message of the row above (the first: from the session's open), the size, the latency and
    /// `!` for a slow reply; a held chunk says who holds it.
    private static func drawMessageRow(
        _ grid: inout CellGrid, _ rows: MessageRows, _ index: Int, selected: Bool, y: Int, ascii: Bool,
        times: Bool
    ) {
        let width = grid.width
        let sizeWidth = 10
        let latencyWidth = 10
        let timeWidth = times ? DeltaTime.columnWidth : 0
        var delta: UInt64?
        var x = grid.put(selected ? ">" : " ", x: 0, y: y, style: CellStyle(bold: true))
        let direction: Direction
        var indexText: String
        var summary: String
        var size: Int
        var latency: UInt64?
        var underRequest = false
        var role = ColorRole.normal
        switch rows.rows[index] {
        case .message(let position, let under):
            let record = rows.session.messages[position]
            direction = record.direction
            indexText = String(record.index)
            summary = record.summary + (record.truncated ? " (truncated)" : "")
            size = record.bytes
            latency = record.latency
            underRequest = under
            let before = index > 0 ? rows.record(at: index - 1)?.time : rows.session.opened
            delta = before.map { record.time >= $0 ? record.time - $0 : 0 }
        case .held(let d):
            direction = d
            indexText = "held"
            summary = heldBy(rows.session[d])
            size = rows.session[d].heldBytes ?? 0
            role = .held
        }
        if underRequest { x = grid.put("  ", x: x, y: y) }
        x = grid.put(
            arrow(direction, ascii) + " ", x: x, y: y,
            style: CellStyle(bold: true, role: direction == .c2s ? .c2s : .s2c))
        let fixed = 6 + 2 + 1 + timeWidth + sizeWidth + 1 + latencyWidth + 2
        let summaryWidth = max(4, width - x - fixed)
        let slow = latency.map { $0 >= MessageView.slowLatency } ?? false
        let style = CellStyle(bold: selected || role == .held, reverse: selected, role: role)
        var text = DisplayText.pad(indexText, 6, ascii: ascii, right: true) + "  "
        text += DisplayText.pad(summary, summaryWidth, ascii: ascii) + " "
        if times {
            text +=
                DisplayText.pad(delta.map(DeltaTime.text) ?? "", timeWidth - 1, ascii: ascii, right: true)
                + " "
        }
        text += DisplayText.pad(ByteFormat.bytes(size), sizeWidth, ascii: ascii, right: true) + " "
        text += DisplayText.pad(latency.map(formatLatency) ?? "", latencyWidth, ascii: ascii, right: true)
        x = grid.put(text, x: x, y: y, style: style)
        if slow { grid.put(" !", x: x, y: y, style: CellStyle(bold: true, role: .error)) }
    }

    /// `→`/`←` (ASCII `>`/`<`) for a direction.
    static func arrow(_ direction: Direction, _ ascii: Bool) -> String {
        direction == .c2s ? (ascii ? ">" : "→") : (ascii ? "<" : "←")
    }

    /// Who holds a direction's chunk: `held by breakpoint c2s:SET`, or `held: paused`.
    static func heldBy(_ d: DirectionSnapshot) -> String {
        guard let held = d.held else { return "" }
        return held.breakpoint.map { "held by breakpoint \($0)" } ?? "held: paused"
    }

    /// The slow-reply threshold as the list title says it.
    static var slowText: String { "\(MessageView.slowLatency / 1_000_000) ms" }

    /// A latency for the list: `0.42 ms` below 10 ms, `12.3 ms` below 1 s, `1.25 s` above.
    static func formatLatency(_ nanoseconds: UInt64) -> String {
        let ms = Double(nanoseconds) / 1e6
        if ms < 10 { return ByteFormat.decimal(ms, digits: 2) + " ms" }
        if ms < 1000 { return ByteFormat.decimal(ms, digits: 1) + " ms" }
        return ByteFormat.decimal(ms / 1000, digits: 2) + " s"
    }
}

import FlowCore
import FlowEvents
import FlowTapKit

extension ScreenRenderer {
    /// The pane title's words for one direction: `shut  18 B in 2 chunks  0 B/s  paused: 1
    /// chunk held (5 B)  faults: latency=200ms, slice=1`. When the session is decoded
    /// (`decoded`), what is held is a message, and a held message names the breakpoint that held
    /// it (`held by breakpoint c2s:SET: 1 message (27 B)`); the messages seen and the first
    /// decode error follow.
    static func directionSummary(_ d: DirectionSnapshot, decoded: Bool = false) -> String {
        var text =
            "\(d.phase.word)  \(ByteFormat.bytes(d.seenBytes)) in \(d.seenChunks) chunk\(d.seenChunks == 1 ? "" : "s")"
        text += "  " + ByteFormat.rate(d.rate)
        let unit = decoded ? "message" : "chunk"
        if let held = d.held {
            let size = ByteFormat.bytes(held.bytes.readableBytes)
            if let breakpoint = held.breakpoint {
                text += "  held by breakpoint \(breakpoint): 1 \(unit) (\(size))"
            } else {
                text += "  paused: 1 \(unit) held (\(size))"
            }
        } else if d.paused {
            text += "  paused: nothing held"
        }
        if !d.faults.isEmpty { text += "  faults: " + d.faults.joined(separator: ", ") }
        if d.messages > 0 { text += "  \(d.messages) message\(d.messages == 1 ? "" : "s")" }
        if let failure = d.decodeError { text += "  decode error at \(failure.offset): \(failure.error)" }
        return text
    }

    /// True when the session's messages are decoded (a decoder other than `none`).
    static func decoded(_ session: SessionSnapshot) -> Bool {
        session.decoder.map { $0 != "none" } ?? false
    }

    /// Draws `pane` of `session` in rows `y..<y+height`: a title, then the body from the
    /// scroll position (the focused pane settles `view`'s scrolling), or, with `alignedTo`,
    /// from the line showing that byte (a compared pane follows the other's offsets). Returns
    /// the offset of the first byte shown, if any.
    @discardableResult
    static func drawPane(
        _ grid: inout CellGrid, _ session: SessionSnapshot, _ pane: Pane, y: Int, height: Int,
        _ view: inout ViewState, focused isFocused: Bool? = nil, alignedTo alignment: SearchMatch? = nil
    ) -> Int? {
        guard height > 0 else { return nil }
        let ascii = view.ascii
        let focused = isFocused ?? (pane == view.pane)
        // Drawn last: the title says whether the pane follows, which the body settles.
        func drawTitle() {
            var title: String
            var role = ColorRole.title
            let scrolled = focused && !view.following ? "  [scrolled]" : ""
            if let direction = pane.direction {
                let d = session[direction]
                title =
                    " \(direction.title(ascii: ascii))  #\(session.id)\(scrolled)  "
                    + directionSummary(d, decoded: decoded(session))
                if d.phase.isError || d.decodeError != nil {
                    role = .error
                } else if d.paused || d.held != nil {
                    role = .held
                }
            } else {
                func brief(_ direction: Direction) -> String {
                    let d = session[direction]
                    let faults = d.faults.isEmpty ? "" : ", faults: " + d.faults.joined(separator: ", ")
                    let held = d.held?.breakpoint.map { ", held by breakpoint \($0)" } ?? ""
                    return "\(direction.title(ascii: ascii)): \(d.phase.word), "
                        + "\(ByteFormat.bytes(d.seenBytes))\(d.paused ? " paused" : "")\(held)\(faults)"
                }
                title = " conversation  #\(session.id)\(scrolled)  \(brief(.c2s))  \(brief(.s2c))"
                if let decoder = session.decoder { title += "  decoder: \(decoder)" }
            }
            if let error = session.connectError { title += "  connect error: \(error)" }
            if let tls = tlsLabel(session) { title += "  \(tls)" }
            title += " "
            let titleStyle = CellStyle(bold: true, reverse: focused, role: role)
            let x = grid.put(
                DisplayText.fit(title, grid.width - 2, ascii: ascii), x: 0, y: y, style: titleStyle)
            grid.fill(ascii ? "-" : "─", y: y, from: x, style: CellStyle(dim: true))
        }
        defer { drawTitle() }
        let bodyHeight = height - 1
        guard bodyHeight > 0 else { return nil }
        let content = PaneContent(
            session: session, pane: pane, width: grid.width, hex: view.hex, ascii: ascii,
            match: view.search?.match, times: view.times)
        guard !content.blocks.isEmpty else {
            let empty =
                session.connectError != nil
                ? " no bytes: the target was not reached"
                : session.closed != nil ? " no bytes: the session has ended" : " no bytes yet"
            grid.put(empty, x: 0, y: y + 1, style: CellStyle(dim: true))
            if focused {
                view.pageLines = bodyHeight
                view.scrollRequest = nil
            }
            return nil
        }
        var top = content.tail(bodyHeight)
        if let alignment, !focused {
            top = min(content.position(of: alignment) ?? top, top)
        }
        if focused {
            let tail = top
            if let anchor = view.anchor {
                top = min(content.position(of: anchor) ?? PaneContent.Position(block: 0, line: 0), tail)
            }
            switch view.scrollRequest {
            case .lines(let delta):
                top = min(content.move(top, by: delta), tail)
                view.anchor = delta > 0 && top >= tail ? nil : content.anchor(top)
            case .top:
                top = PaneContent.Position(block: 0, line: 0)
                view.anchor = content.anchor(top)
            case .match:
                if let match = view.search?.match, let position = content.position(of: match) {
                    top = min(content.move(position, by: -2), tail)
                    view.anchor = content.anchor(top)
                }
            case nil:
                if view.anchor != nil { view.anchor = content.anchor(top) }
            }
            view.scrollRequest = nil
            view.pageLines = bodyHeight
        }
        let lines = content.visible(from: top, bodyHeight)
        for (row, line) in lines.enumerated() {
            var x = 0
            for span in line.spans {
                x = grid.put(span.text, x: x, y: y + 1 + row, style: span.style)
            }
        }
        return lines.lazy.compactMap(\.firstByte).first
    }
}

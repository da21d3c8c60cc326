import FlowCore
import FlowEvents
import FlowTapKit

/// Draws the screen of DESIGN.md §7 into a ``CellGrid``: a pure function of the model's
/// snapshot, the view state and the size; no terminal needed.
///
/// Rows, top to bottom: the title line; the session list (a header, then as many sessions as
/// fit, the selected one marked `>`); the client → server and server → client panes (or the
/// conversation pane filling both), each a title line and a body — or the message view (`m`:
/// the session's decoded messages and the selected one's bytes), or the open editor over
/// them; the footer (key help, or the prompt, or a message). `?` draws the help over the panes. Below
/// ``minimumWidth``×``minimumHeight`` only "terminal too small (need 40x10)" is drawn.
public enum ScreenRenderer {
    /// The narrowest terminal that gets the full screen.
    public static let minimumWidth = 40
    /// The lowest terminal that gets the full screen.
    public static let minimumHeight = 10
    /// What a smaller terminal shows.
    public static let tooSmallMessage = "terminal too small (need \(minimumWidth)x\(minimumHeight))"

    /// Draws `snapshot` as `view` says on a `width`×`height` grid.
    ///
    /// Returns the grid and the view state settled by the drawing: a pending
    /// ``ViewState/scrollRequest`` carried out (as a new ``ViewState/anchor``, or following
    /// again), ``ViewState/pageLines`` set to the focused pane's height, and ``ViewState/selected``
    /// set to the session shown (the newest while the view may follow, see
    /// ``ViewState/followed(in:)``). The caller keeps that state for the next key: keys act on
    /// the session drawn, never on one that arrived since.
    public static func render(
        _ snapshot: InspectorSnapshot, _ view: ViewState, width: Int, height: Int
    ) -> (grid: CellGrid, view: ViewState) {
        var grid = CellGrid(width: width, height: height, ascii: view.ascii)
        let view = view.followed(in: snapshot)
        var next = view
        guard width >= minimumWidth && height >= minimumHeight else {
            grid.put(tooSmallMessage, x: 0, y: height / 2, style: CellStyle(bold: true))
            return (grid, next)
        }
        let session = view.session(in: snapshot)
        next.selected = session?.id
        drawTitle(&grid, snapshot, view)
        let listed = view.listed(snapshot)
        let listRows = max(1, min(listed.sessions.count, (height - 8) / 3))
        drawSessions(&grid, listed, view, selected: session?.id, y: 1, rows: listRows)
        let top = 2 + listRows
        let bottom = height - 1
        if view.messages != nil {
            if let session { drawMessages(&grid, session, y: top, height: bottom - top, &next) }
        } else if let pair = comparedPair(snapshot, view) {
            // The replay below scrolls; the capture above shows the same byte offsets.
            let direction = pair.direction
            let half = (bottom - top) / 2
            let first = drawPane(
                &grid, pair.replay, view.pane, y: top + half, height: bottom - top - half, &next)
            var shadow = next
            drawPane(
                &grid, pair.original, view.pane, y: top, height: half, &shadow, focused: false,
                alignedTo: first.map { SearchMatch(direction: direction, offset: $0, length: 1) })
        } else if let session {
            if view.pane == .conversation {
                drawPane(&grid, session, .conversation, y: top, height: bottom - top, &next)
            } else {
                let half = (bottom - top) / 2
                drawPane(&grid, session, .c2s, y: top, height: half, &next)
                drawPane(&grid, session, .s2c, y: top + half, height: bottom - top - half, &next)
            }
        }
        if let open = view.editor {
            drawEditor(&grid, open.editor, y: top, height: bottom - top)
            next.editor?.editor.setWidth(editorTextWidth(screenWidth: width))  // Up/Down move a shown line
        }
        drawFooter(&grid, view, y: height - 1)
        if view.help { drawHelp(&grid, view, &next) }
        return (grid, next)
    }

    static func arrow(_ ascii: Bool) -> String { ascii ? "<->" : "⇄" }

    /// The sessions to draw one above the other: when comparing, a direction focused, and both
    /// sessions there.
    static func comparedPair(
        _ snapshot: InspectorSnapshot, _ view: ViewState
    ) -> (original: SessionSnapshot, replay: SessionSnapshot, direction: Direction)? {
        guard let compare = view.compare, view.comparing, let direction = view.pane.direction,
            let original = snapshot.sessions.first(where: { $0.id == compare.original }),
            let replay = snapshot.sessions.first(where: { $0.id == compare.replay })
        else { return nil }
        return (original, replay, direction)
    }

    private static func drawTitle(_ grid: inout CellGrid, _ snapshot: InspectorSnapshot, _ view: ViewState) {
        let style = CellStyle(bold: true, reverse: true, role: .title)
        grid.fill(y: 0, style: style)
        var parts: [String] = []
        if let listen = snapshot.listenAddress {
            parts.append("flowtap  \(listen) \(arrow(view.ascii)) \(snapshot.target)")
        } else if view.live {
            parts.append("flowtap  \(arrow(view.ascii)) \(snapshot.target)")
        } else {
            parts.append("flowtap view  \(snapshot.target)")
        }
        if let capture = snapshot.capturePath, snapshot.listenAddress != nil || view.live {
            parts.append("capture: \(capture)")
        }
        let count = snapshot.sessions.count
        if let filter = view.filter {
            parts.append("filter \"\(filter)\": \(view.listed(snapshot).sessions.count) of \(count)")
        }
        if let unseen = view.unseenSession(in: snapshot) {
            parts.insert("#\(unseen) new: G goes to it", at: min(1, parts.count))
        }
        parts.append(count == 1 ? "1 session" : "\(count) sessions")
        if view.pausingNew == true { parts.insert("new sessions paused", at: min(1, parts.count)) }
        let newFaults = Direction.allCases.flatMap { direction in
            (view.newSessionFaults?[direction] ?? []).map { "\(direction.rawValue):\($0)" }
        }
        if !newFaults.isEmpty {
            parts.insert("new sessions: " + newFaults.joined(separator: " "), at: min(1, parts.count))
        }
        if let breakpoints = view.breakpoints, !breakpoints.isEmpty {
            parts.append("break: " + breakpoints.joined(separator: ", "))
        }
        let help = "? help "
        let room = grid.width - help.count - 1
        // A notice keeps its room: the rest gives way first, down to half the line.
        let noticeRoom = snapshot.notice.map { min(room / 2, $0.count + 3) } ?? 0
        var x = grid.put(
            " " + DisplayText.fit(parts.joined(separator: "  "), room - 1 - noticeRoom, ascii: view.ascii),
            x: 0,
            y: 0, style: style)
        if let notice = snapshot.notice, x + 6 < room {
            x = grid.put(
                "   " + DisplayText.fit(notice, room - x - 3, ascii: view.ascii), x: x, y: 0,
                style: CellStyle(bold: true, reverse: true, role: snapshot.noticeIsError ? .error : .title))
        }
        if let error = snapshot.captureError, x + 6 < room {
            x = grid.put(
                "   " + DisplayText.fit("capture failed: " + error, room - x - 3, ascii: view.ascii), x: x,
                y: 0,
                style: CellStyle(bold: true, reverse: true, role: .error))
        }
        grid.put(help, x: grid.width - help.count, y: 0, style: style)
    }

    private static func drawFooter(_ grid: inout CellGrid, _ view: ViewState, y: Int) {
        let width = grid.width
        let error = CellStyle(bold: true, role: .error)
        let note = CellStyle(bold: true, role: .help)
        if let prompt = view.prompt, case .refused(let reason) = prompt.purpose {
            drawWrapped(
                &grid, [(reason, error), ("   Enter or Esc: go on", CellStyle(dim: true))], bottom: y,
                ascii: view.ascii)
            return
        }
        if let prompt = view.prompt {
            let (label, hint): (String, String) =
                switch prompt.purpose {
                case .search: ("/", "   text (\\r \\n \\t \\xNN) or x 0d 0a; Enter finds, Esc cancels")
                case .save: ("save capture as: ", "   Enter saves, Esc cancels")
                case .overwrite(let path): ("\(path) exists. Replace it? (y/n) ", "")
                case .filter:
                    ("filter sessions: ", "   client, target or state (paused, closed, error…); empty: all")
                case .quit(let held):
                    ("\(held) held chunk\(held == 1 ? "" : "s") will never be sent. Quit? (y/n) ", "")
                case .refused(let reason): (reason, "")
                case .faults(let session, let direction, let active):
                    (
                        FaultMenu.label(
                            session: session, direction: direction, active: active, ascii: view.ascii),
                        "   " + FaultMenu.hint
                    )
                case .breakpoint:
                    (
                        "break [c2s:|s2c:]REGEX: ",
                        "   Enter adds it, or removes it if set; Esc cancels"
                            + ((view.breakpoints ?? []).isEmpty
                                ? "" : "  (set: " + (view.breakpoints ?? []).joined(separator: ", ") + ")")
                    )
                }
            // e.g. a bad fault: the line stays open for a fix, the error after it (or above it,
            // on lines of its own, when it does not fit there).
            let after: WrappedText.Run =
                view.message.map { ("   " + $0, view.messageIsError ? error : note) } ?? (
                    hint, CellStyle(dim: true)
                )
            func runs(_ text: String) -> [WrappedText.Run] {
                [
                    (label, CellStyle(bold: true, role: .help)), (text, .plain),
                    ("_", CellStyle(reverse: true)),
                ]
            }
            // Text longer than the footer's rows scrolls: its start gives way, the label stays.
            let most = max(1, grid.height / 4)
            var text = prompt.text
            var rows = WrappedText.rows(runs(text), width: width - 2, ascii: view.ascii)
            while rows.count > most && !text.isEmpty {
                text = String(text.dropFirst(max(1, (rows.count - most) * (width - 2) / 2)))
                rows = WrappedText.rows(
                    runs((view.ascii ? "~" : "…") + text), width: width - 2, ascii: view.ascii)
            }
            let line = runs(text == prompt.text ? text : (view.ascii ? "~" : "…") + text)
            let used =
                rows.last.map { $0.reduce(0) { $0 + DisplayText.width($1.text, ascii: view.ascii) } } ?? 0
            if after.text.isEmpty || used + DisplayText.width(after.text, ascii: view.ascii) <= width - 2 {
                drawWrapped(&grid, line + [after], bottom: y, ascii: view.ascii)
            } else {
                let above = (String(after.text.drop { $0 == " " }), after.style)
                let count = drawWrapped(&grid, line, bottom: y, ascii: view.ascii)
                drawWrapped(&grid, [above], bottom: y - count, ascii: view.ascii)
            }
            return
        }
        if let message = view.message {
            drawWrapped(&grid, [(message, view.messageIsError ? error : note)], bottom: y, ascii: view.ascii)
            return
        }
        // The open editor has its own key line; the main keys do not act while it is open.
        if view.editor != nil { return }
        let items =
            view.messages != nil
            ? [
                "\(view.ascii ? "Up/Down" : "↑↓") message", view.messages!.pairs ? "v in order" : "v pairs",
                "Enter bytes", "m back", "j/k session", "x hex/text",
            ] + (view.live ? ["s step", "b break", "p pause", "r resume"] : [])
            : view.live
                ? [
                    "p pause", "s step", "r resume", "tab pane", "m messages", "b break", "x hex/text",
                    "/ search",
                    "w save", "e edit", "d drop", "i inject", "K kill",
                    "h FIN", "t faults", "f follow",
                ]
                : (view.compare == nil ? [] : ["c compare"])
                    + ["tab pane", "x hex/text", "/ search", "n next", "m messages", "f follow", "w save"]
        let tail = "q quit"  // "? help" is on the title line
        var text = " "
        for item in items {
            guard text.count + item.count + 2 + tail.count <= width - 1 else { break }
            text += item + "  "
        }
        grid.put(text + tail, x: 0, y: y, style: CellStyle(role: .help))
    }

    /// Draws `runs` wrapped (``WrappedText``) on the rows ending at `bottom`, a space in front,
    /// over whatever was drawn there: at most a quarter of the screen; when longer, the last rows
    /// (where a prompt's cursor is).
    /// Returns the rows drawn.
    @discardableResult
    private static func drawWrapped(
        _ grid: inout CellGrid, _ runs: [WrappedText.Run], bottom: Int, ascii: Bool
    ) -> Int {
        var rows = WrappedText.rows(runs, width: grid.width - 2, ascii: ascii)
        let most = max(1, grid.height / 4)
        if rows.count > most { rows.removeFirst(rows.count - most) }
        for (index, row) in rows.enumerated() {
            let y = bottom - rows.count + 1 + index
            grid.fill(y: y)
            var x = 1
            for run in row { x = grid.put(run.text, x: x, y: y, style: run.style) }
        }
        return rows.count
    }

    /// The lines of the help overlay; the breakpoints in force (`nil`: none can be set here)
    /// end it.
    static func helpLines(ascii: Bool, breakpoints: [String]? = nil) -> [String] {
        let pane =
            ascii
            ? "client -> server, server -> client, conversation"
            : "client → server, server → client, conversation"
        return [
            "Up/Down, j/k   select a session (it then stays put when new ones come)",
            "G              go to the newest session and follow new ones again",
            "Tab            next pane: " + pane,
            "p / P          pause or resume this direction / both",
            "s, space       step one message of a paused direction (a chunk when not decoded)",
            "r              resume every session",
            "I              intercept: pause every session, new ones too (again: new ones flow)",
            "e              edit the held chunk (text or hex); Enter sends it in its place",
            "d              drop the held chunk: it is never sent",
            "i              inject typed bytes into this direction (before a held chunk)",
            "h              pass a FIN on in this direction",
            "K              kill the session (reset both sides)",
            "t              faults of this direction: +latency=200ms, -1, 1=slice=1, clear",
            "x              hex dump / text",
            "D              time column (time from the chunk or message before) on / off",
            "c              replay: the capture above the replay, same offsets (on / off)",
            "f              follow the tail on / off",
            "PgUp PgDn      scroll;  Home: start;  End: tail",
            "/text          search text; \\r \\n \\t \\\\ \\xNN escapes",
            "F              filter the session list (client, target, paused, closed, error...)",
            "/x 0d 0a       search hex bytes;  n: next match (no search: the marked byte)",
            "w              save everything as a pcapng capture",
            "m              messages of the session (m or Esc: back to the bytes)",
            "  Up/Down      select a message (j/k still select sessions); PgUp PgDn Home End",
            "  v            request/reply pairs / arrival order",
            "  Enter        show the selected message's bytes in its direction's pane",
            "  !            marks a reply that came \(ascii ? ">=" : "≥") \(slowText) after its request",
            "b              break [c2s:|s2c:]REGEX: hold matching messages (again: remove)",
            "q              quit (asks first while chunks are held);  ? or Esc: close this help",
        ]
            + (breakpoints.map { ["breakpoints:   " + ($0.isEmpty ? "none" : $0.joined(separator: ", "))] }
                ?? [])
    }

    private static func drawHelp(_ grid: inout CellGrid, _ view: ViewState, _ next: inout ViewState) {
        let keyColumn = 15
        let raw = helpLines(ascii: view.ascii, breakpoints: view.breakpoints)
        let boxWidth = min(grid.width - 2, (raw.map(\.count).max() ?? 0) + 4)
        let inner = boxWidth - 4
        // Each line wraps under its description; nothing is cut.
        var lines: [String] = []
        for line in raw {
            let key = String(line.prefix(keyColumn))
            let rows = WrappedText.rows(
                [(String(line.dropFirst(keyColumn)), .plain)], width: max(1, inner - keyColumn),
                ascii: view.ascii)
            for (index, row) in rows.enumerated() {
                lines.append(
                    (index == 0 ? key : String(repeating: " ", count: keyColumn)) + row.map(\.text).joined())
            }
        }
        let boxHeight = min(grid.height - 2, lines.count + 2)
        let shown = boxHeight - 2
        let top = min(max(0, view.helpTop), max(0, lines.count - shown))
        next.helpTop = top
        let x0 = (grid.width - boxWidth) / 2
        let y0 = max(1, (grid.height - boxHeight) / 2)
        let style = CellStyle(role: .help)
        let border = CellStyle(bold: true, role: .help)
        let (h, v, tl, tr, bl, br) =
            view.ascii ? ("-", "|", "+", "+", "+", "+") : ("─", "│", "┌", "┐", "└", "┘")
        for row in 0..<boxHeight {
            let y = y0 + row
            grid.fill(y: y, from: x0, to: x0 + boxWidth, style: style)
            if row == 0 || row == boxHeight - 1 {
                let line =
                    (row == 0 ? tl : bl) + String(repeating: h, count: boxWidth - 2) + (row == 0 ? tr : br)
                grid.put(line, x: x0, y: y, style: border)
                if row == 0 {
                    grid.put(
                        top > 0 ? " help (more above: k, PgUp) " : " help ", x: x0 + 2, y: y, style: border)
                } else if top + shown < lines.count {
                    grid.put(" more below: j, PgDn ", x: x0 + 2, y: y, style: border)
                }
            } else {
                grid.put(v, x: x0, y: y, style: border)
                grid.put(lines[top + row - 1], x: x0 + 2, y: y, style: style, limit: x0 + boxWidth - 2)
                grid.put(v, x: x0 + boxWidth - 1, y: y, style: border)
            }
        }
    }
}

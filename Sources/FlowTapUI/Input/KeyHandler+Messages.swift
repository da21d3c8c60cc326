import FlowCore
import FlowEvents
import FlowTapKit

extension KeyHandler {
    /// The keys of the message view (``MessageView``), or `nil` for a key it leaves to the
    /// main keys (`j`/`k`, `p`, `s` on a message row, `x`, `q`, …).
    static func messageKey(
        _ view: ViewState, _ key: Key, _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command])? {
        guard var state = view.messages else { return nil }
        var next = view
        let session = view.session(in: snapshot)
        let rows = session.map { MessageRows(session: $0, pairs: state.pairs) }
        func select(_ target: Int, of rows: MessageRows, following: Bool) -> (ViewState, [Command]) {
            state.selection = following ? nil : rows.selection(rows.rows[target])
            if following { state.top = nil }
            next.messages = state
            return (next, [])
        }
        switch key {
        case .up, .down, .pageUp, .pageDown, .home:
            guard let rows, let current = rows.index(of: state.selection) else { return (next, []) }
            let page = max(1, state.pageRows - 1)
            let delta =
                switch key {
                case .up: -1
                case .down: 1
                case .pageUp: -page
                case .pageDown: page
                default: Int.min / 2
                }
            let target = min(max(0, current + delta), rows.rows.count - 1)
            // Moving down onto the last row follows the newest again.
            return select(target, of: rows, following: delta > 0 && target == rows.rows.count - 1)
        case .end:
            state.selection = nil
            state.top = nil
            next.messages = state
            return (next, [])
        case .char("v"):
            state.pairs.toggle()
            state.top = nil
            next.messages = state
            next.message = state.pairs ? "messages: request/reply pairs" : "messages: in arrival order"
            return (next, [])
        case .char("m"):
            next.messages = nil
            return (next, [])
        case .escape where !view.help:
            next.messages = nil
            return (next, [])
        case .enter:
            guard let session, let rows, let index = rows.index(of: state.selection) else {
                next.message = "no message selected"
                return (next, [])
            }
            next.messages = nil
            next.followNewest = false
            next.selected = session.id
            next.anchor = nil
            next.scrollRequest = nil
            guard let record = rows.record(at: index) else {
                if case .held(let direction) = rows.rows[index] {
                    next.pane = direction == .c2s ? .c2s : .s2c  // the tail shows the held chunk
                }
                return (next, [])
            }
            next.pane = record.direction == .c2s ? .c2s : .s2c
            let match = SearchMatch(
                direction: record.direction, offset: record.offset, length: max(1, record.bytes))
            next.search = SearchState(query: "", pattern: [], match: match)
            next.scrollRequest = .match
            next.message =
                "\(record.direction.rawValue) message \(record.index): \(ByteFormat.bytes(record.bytes)) "
                + "at offset \(record.offset)"
            return (next, [])
        case .char("s"), .char(" "):
            // On a held row, step that direction, whichever pane has the keys.
            guard let rows, let index = rows.index(of: state.selection),
                case .held(let direction) = rows.rows[index]
            else { return nil }
            return stepped(
                control(next, session) { id, _ in .success([.step(session: id, direction: direction)]) },
                session, ascii: view.ascii)
        default:
            return nil
        }
    }

    /// `result` with the footer saying what a step sent: one message of a decoded session (the
    /// engine gathers whole messages while paused), else one chunk; the direction stays paused.
    static func stepped(
        _ result: (ViewState, [Command]), _ session: SessionSnapshot?, ascii: Bool
    ) -> (ViewState, [Command]) {
        guard let session, case .step(let id, let direction) = result.1.first else { return result }
        var view = result.0
        let unit = ScreenRenderer.decoded(session) ? "message" : "chunk"
        view.message =
            session[direction].held == nil
            ? "nothing held yet: the next \(unit) of \(direction.title(ascii: ascii)) #\(id) goes on when it comes"
            : "stepped 1 \(unit) of \(direction.title(ascii: ascii)) #\(id) (it stays paused)"
        return (view, result.1)
    }

    /// Enter in the `b` prompt: the breakpoint typed, added or removed; a bad one keeps the
    /// prompt open with the error in the footer.
    static func toggleBreakpoint(_ view: ViewState, _ prompt: Prompt) -> (ViewState, [Command]) {
        var next = view
        guard !prompt.text.isEmpty else { return (next, []) }
        let breakpoint: Breakpoint
        do {
            breakpoint = try Breakpoint(parsing: prompt.text)
        } catch {
            next.prompt = prompt
            next.message = error.description
            next.messageIsError = true
            return (next, [])
        }
        let text = breakpoint.description
        var active = view.breakpoints ?? []
        if let index = active.firstIndex(of: text) {
            active.remove(at: index)
            next.message = "breakpoint \(text) removed"
        } else {
            active.append(text)
            let scope = breakpoint.direction.map { "\($0.rawValue) messages" } ?? "messages"
            next.message = "breakpoint \(text) set: \(scope) that match are held in every session"
        }
        next.breakpoints = active
        return (next, [.toggleBreakpoint(breakpoint)])
    }
}

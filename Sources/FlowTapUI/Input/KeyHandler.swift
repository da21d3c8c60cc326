import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The keys of DESIGN.md §7 as a pure function: a view state, a key and the model's snapshot
/// give the next view state and the commands to carry out. No terminal, no clock, no I/O.
///
/// | key | effect |
/// |---|---|
/// | Up/Down, `k`/`j` | select the previous/next session (stops following the newest) |
/// | Tab, Shift-Tab | focus client → server → server → client → conversation |
/// | `p` | pause the focused direction, or resume it if paused (conversation: as `P`) |
/// | `P` | pause both directions, or resume both if either is paused |
/// | `s`, space | step one chunk (one message when decoded) of the focused direction (conversation: the paused or held one, c2s first) |
/// | `r` | resume every direction of every session |
/// | `x` | hex dump / text |
/// | `f` | follow the tail / stop following |
/// | PgUp/PgDn, Home/End | scroll the focused pane by a page / to the start / to the tail |
/// | `/` | search: `/text` (escapes `\r \n \t \\ \xNN`) or `/x 0d 0a` (hex bytes) |
/// | `n` | next match (wraps around); with no search, the byte the title's notice is about (a replay's first difference) |
/// | `w` | save a capture: prompts for a name, proposing `flowtap-YYYYmmdd-HHMMSS.pcapng` |
/// | `K` | kill the session (resets both sides) |
/// | `h` | pass a FIN on in the focused direction |
/// | `e` | edit the focused direction's held chunk (``ChunkEditor``; Enter sends the edit in its place) |
/// | `d` | drop the focused direction's held chunk (never sent; the next chunk is held) |
/// | `i` | inject bytes typed in the editor into the focused direction (before a held chunk) |
/// | `t` | faults of the focused direction: `+KIND=VALUE`, `-N`, `N=KIND=VALUE`, `clear` (``FaultMenu``) |
/// | `c` | with two sessions to compare (a replay): show both one above the other, or not |
/// | `m` | the message view of the session (``MessageView``); `m` or Esc goes back to the bytes |
/// | in the message view: Up/Down, PgUp/PgDn, Home/End | select a message (End: follow the newest); `j`/`k` still select sessions |
/// | in the message view: `v` | request/reply pairs / arrival order |
/// | in the message view: Enter | show the selected message in its direction's pane (its bytes highlighted) |
/// | in the message view: `s`, space | on a held row, step that direction |
/// | `b` | breakpoint prompt: `[c2s:|s2c:]REGEX` adds it, or removes it when set |
/// | `?` | help overlay (`?` or Esc closes it) |
/// | `q` | quit |
///
/// Session commands need a live session: offline they only show "offline: no live session";
/// on an ended session they show that it has ended.
public enum KeyHandler {
    /// The message shown by session keys when there is no ``SessionControl``.
    public static let offlineMessage = "offline: no live session"

    /// The next view state and the commands for `key`.
    public static func handle(
        _ view: ViewState, _ key: Key, _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command]) {
        if key == .resize { return (view, []) }  // not the user's doing: keep messages and prompts
        var next = view
        next.message = nil
        next.messageIsError = false
        if let editor = view.editor { return editorKey(next, editor, key, snapshot) }
        if let prompt = view.prompt { return promptKey(next, prompt, key, snapshot) }
        if view.messages != nil, let handled = messageKey(next, key, snapshot) { return handled }
        let session = view.session(in: snapshot)
        switch key {
        case .up, .char("k"): return (select(next, by: -1, snapshot), [])
        case .down, .char("j"): return (select(next, by: 1, snapshot), [])
        case .tab, .backTab:
            next.pane = key == .tab ? view.pane.next : view.pane.previous
            next.anchor = nil
            next.scrollRequest = nil
            next.search?.match = nil
            return (next, [])
        case .char("p"): return control(next, session) { id, s in pauseToggle(id, s, view.pane.direction) }
        case .char("P"): return control(next, session) { id, s in pauseToggle(id, s, nil) }
        case .char("s"), .char(" "):
            let result = control(next, session) { id, s in
                func holding(_ d: Direction) -> Bool { s[d].paused || s[d].held != nil }
                let direction = view.pane.direction ?? (holding(.c2s) || !holding(.s2c) ? .c2s : .s2c)
                guard holding(direction) else {
                    return .failure(
                        .init("\(direction.title(ascii: view.ascii)) is not paused (p pauses it)"))
                }
                return .success([.step(session: id, direction: direction)])
            }
            return stepped(result, session, ascii: view.ascii)
        case .char("r"):
            guard view.live else { return offline(next) }
            next.message = "resumed every session"
            return (next, [.resumeAll])
        case .char("x"):
            next.hex.toggle()
            if next.anchor != nil { next.anchor?.line = 0 }
            return (next, [])
        case .char("f"):
            if view.following {
                next.scrollRequest = .lines(0)
                next.message = "follow off"
            } else {
                next.anchor = nil
                next.scrollRequest = nil
                next.message = "follow on"
            }
            return (next, [])
        case .pageUp:
            next.scrollRequest = .lines(-max(1, view.pageLines - 1))
            return (next, [])
        case .pageDown:
            next.scrollRequest = .lines(max(1, view.pageLines - 1))
            return (next, [])
        case .home:
            next.scrollRequest = .top
            return (next, [])
        case .end:
            next.anchor = nil
            next.scrollRequest = nil
            return (next, [])
        case .char("/"):
            next.prompt = Prompt(.search)
            return (next, [])
        case .char("n"):
            if let mark = snapshot.mark, view.search == nil || view.search?.pattern.isEmpty == true {
                return (show(mark, next, snapshot), [])
            }
            guard let search = view.search else {
                next.message = "no search yet: press / first"
                return (next, [])
            }
            return (find(next, search, after: search.match, snapshot), [])
        case .char("w"):
            next.prompt = Prompt(.save, text: proposedFileName(at: view.now))
            return (next, [])
        case .char("K"):
            return control(next, session) { id, _ in .success([.kill(session: id)]) }
        case .char("h"):
            return control(next, session) { id, s in
                guard let direction = view.pane.direction else {
                    return .failure(.init("h: focus one direction first (tab)"))
                }
                return .success([.passFIN(session: id, direction: direction)])
            }
        case .char("t"):
            return faultMenu(next, session)
        case .char("e"):
            return openEditor(next, session) { id, direction, s in
                guard let held = s[direction].held else {
                    return .failure(
                        .init("nothing held in \(direction.title(ascii: view.ascii)) (p pauses it)"))
                }
                let bytes = Array(held.bytes.readableBytesView)
                let title = "edit the held chunk  \(direction.title(ascii: view.ascii)) #\(id)"
                return .success(
                    OpenEditor(
                        .replace(session: id, direction: direction, hold: held.number),
                        ChunkEditor(title: title, bytes: bytes, mode: OpenEditor.preferredMode(for: bytes))))
            }
        case .char("i"):
            return openEditor(next, session) { id, direction, s in
                if let reason = unsendable(s, direction, ascii: view.ascii) { return .failure(.init(reason)) }
                let title = "inject into \(direction.title(ascii: view.ascii)) #\(id)"
                return .success(
                    OpenEditor(
                        .inject(session: id, direction: direction), ChunkEditor(title: title, bytes: [])))
            }
        case .char("d"):
            return control(next, session) { id, s in
                guard let direction = view.pane.direction else {
                    return .failure(.init("d: focus one direction first (tab)"))
                }
                guard let held = s[direction].held else {
                    return .failure(
                        .init("nothing held in \(direction.title(ascii: view.ascii)) (p pauses it)"))
                }
                return .success([.dropHeld(session: id, direction: direction, hold: held.number)])
            }
        case .char("c"):
            guard view.compare != nil else {
                next.message = "c compares a capture with its replay (flowtap replay)"
                return (next, [])
            }
            next.comparing.toggle()
            next.anchor = nil
            next.message = next.comparing ? "comparing the capture (above) with the replay" : "compare off"
            return (next, [])
        case .char("m"):
            next.messages = MessageView()
            next.message =
                session.map {
                    "messages of #\($0.id): \(view.ascii ? "Up/Down" : "↑↓") select, v pairs, "
                        + "Enter shows one in its pane, m back"
                } ?? "no session yet"
            return (next, [])
        case .char("b"):
            guard view.live else { return offline(next) }
            guard view.breakpoints != nil else {
                next.message = "breakpoints need the proxy's engine"
                return (next, [])
            }
            next.prompt = Prompt(.breakpoint)
            return (next, [])
        case .char("?"):
            next.help.toggle()
            return (next, [])
        case .escape:
            next.help = false
            return (next, [])
        case .char("q"):
            return (next, [.quit])
        default:
            return (next, [])
        }
    }

    /// A file name for `w`: `flowtap-YYYYmmdd-HHMMSS.pcapng` in local time.
    public static func proposedFileName(at nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let date = "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
        return "flowtap-\(date)-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec)).pcapng"
    }

    private static func select(_ view: ViewState, by delta: Int, _ snapshot: InspectorSnapshot) -> ViewState {
        var next = view
        guard let current = view.session(in: snapshot),
            let index = snapshot.sessions.firstIndex(where: { $0.id == current.id })
        else { return next }
        let target = min(max(0, index + delta), snapshot.sessions.count - 1)
        next.followNewest = false
        next.selected = snapshot.sessions[target].id
        if target != index {
            next.anchor = nil
            next.scrollRequest = nil
            next.search?.match = nil
            next.messages?.selection = nil
            next.messages?.top = nil
        }
        return next
    }

    static func control(
        _ view: ViewState, _ session: SessionSnapshot?,
        _ body: (Int, SessionSnapshot) -> Result<[Command], SearchSyntaxError>
    ) -> (ViewState, [Command]) {
        var next = view
        guard view.live else { return offline(next) }
        guard let session else {
            next.message = "no session yet"
            return (next, [])
        }
        guard session.closed == nil else {
            next.message = "session #\(session.id) has ended"
            return (next, [])
        }
        switch body(session.id, session) {
        case .success(let commands): return (next, commands)
        case .failure(let error):
            next.message = error.message
            return (next, [])
        }
    }

    private static func pauseToggle(
        _ id: Int, _ session: SessionSnapshot, _ direction: Direction?
    ) -> Result<[Command], SearchSyntaxError> {
        if let direction {
            return .success([
                session[direction].paused
                    ? .resume(session: id, direction: direction) : .pause(session: id, direction: direction)
            ])
        }
        let resume = session.c2s.paused || session.s2c.paused
        return .success(
            Direction.allCases.map {
                resume ? .resume(session: id, direction: $0) : .pause(session: id, direction: $0)
            })
    }

    private static func faultMenu(_ view: ViewState, _ session: SessionSnapshot?) -> (ViewState, [Command]) {
        var menu: Prompt?
        var (next, _) = control(view, session) { id, s in
            guard let direction = view.pane.direction else {
                return .failure(.init("t: focus one direction first (tab)"))
            }
            var active: [Fault] = []
            for text in s[direction].faults {
                guard let spec = try? FaultSpec.parse("\(direction.rawValue):\(text)") else {
                    return .failure(.init("t: cannot read the active fault \(text)"))
                }
                active.append(spec.fault)
            }
            menu = Prompt(.faults(session: id, direction: direction, active: active))
            return .success([])
        }
        next.prompt = menu
        return (next, [])
    }

    private static func applyFaults(
        _ view: ViewState, _ prompt: Prompt, session: Int, direction: Direction, active: [Fault]
    ) -> (ViewState, [Command]) {
        var next = view
        let faults: [Fault]
        do {
            faults = try FaultMenu.apply(prompt.text, to: active, direction: direction)
        } catch {
            next.prompt = prompt
            next.message = error.description
            next.messageIsError = true
            return (next, [])
        }
        guard faults != active else {
            next.message = "faults unchanged"
            return (next, [])
        }
        let place = "\(direction.title(ascii: view.ascii)) #\(session)"
        next.message =
            faults.isEmpty
            ? "no faults on \(place)"
            : "faults on \(place): " + faults.map(\.description).joined(separator: ", ")
        return (next, [.setFaults(session: session, direction: direction, faults: faults)])
    }

    /// Why nothing can be sent in `direction` now, or `nil` if it can.
    private static func unsendable(_ session: SessionSnapshot, _ direction: Direction, ascii: Bool) -> String?
    {
        switch session[direction].phase {
        case .open, .eof: return nil
        case .shut, .closed: return "\(direction.title(ascii: ascii)) is shut: its FIN was passed on"
        case .readError, .writeError: return "\(direction.title(ascii: ascii)) has failed"
        }
    }

    private static func openEditor(
        _ view: ViewState, _ session: SessionSnapshot?,
        _ body: (Int, Direction, SessionSnapshot) -> Result<OpenEditor, SearchSyntaxError>
    ) -> (ViewState, [Command]) {
        var opened: OpenEditor?
        var (next, _) = control(view, session) { id, s in
            guard let direction = view.pane.direction else {
                return .failure(.init("focus one direction first (tab)"))
            }
            switch body(id, direction, s) {
            case .success(let editor):
                opened = editor
                return .success([])
            case .failure(let error):
                return .failure(error)
            }
        }
        next.editor = opened
        return (next, [])
    }

    private static func editorKey(
        _ view: ViewState, _ open: OpenEditor, _ key: Key, _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command]) {
        var next = view
        var editor = open.editor
        let outcome = editor.handle(key)
        next.editor?.editor = editor
        switch outcome {
        case .editing:
            return (next, [])
        case .cancelled:
            next.editor = nil
            next.message = "edit cancelled: nothing sent"
            return (next, [])
        case .submitted(let bytes):
            return submit(next, open.purpose, bytes, snapshot)
        }
    }

    private static func submit(
        _ view: ViewState, _ purpose: OpenEditor.Purpose, _ bytes: [UInt8], _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command]) {
        var next = view
        func fail(_ message: String, close: Bool) -> (ViewState, [Command]) {
            if close { next.editor = nil }
            next.message = message
            next.messageIsError = true
            return (next, [])
        }
        let (id, direction): (Int, Direction)
        switch purpose {
        case .replace(let session, let d, _), .inject(let session, let d): (id, direction) = (session, d)
        }
        let place = "\(direction.title(ascii: view.ascii)) #\(id)"
        guard let session = snapshot.sessions.first(where: { $0.id == id }), session.closed == nil else {
            return fail("session #\(id) has ended: nothing sent", close: true)
        }
        switch purpose {
        case .replace(_, _, let hold):
            guard !bytes.isEmpty else {
                return fail("an edit needs at least one byte (d drops the chunk)", close: false)
            }
            guard let held = session[direction].held, held.number == hold else {
                return fail("the held chunk of \(place) went on meanwhile: nothing edited", close: true)
            }
            next.editor = nil
            next.message =
                "sent \(ByteFormat.bytes(bytes.count)) in place of the held \(ByteFormat.bytes(held.bytes.readableBytes)) "
                + "(\(place) stays paused)"
            return (next, [.replaceHeld(session: id, direction: direction, hold: hold, bytes: bytes)])
        case .inject:
            guard !bytes.isEmpty else { return fail("nothing to inject", close: false) }
            if let reason = unsendable(session, direction, ascii: view.ascii) {
                return fail(reason, close: true)
            }
            next.editor = nil
            next.message = "injected \(ByteFormat.bytes(bytes.count)) into \(place)"
            return (next, [.inject(session: id, direction: direction, bytes: bytes)])
        }
    }

    static func offline(_ view: ViewState) -> (ViewState, [Command]) {
        var next = view
        next.message = offlineMessage
        return (next, [])
    }

    private static func promptKey(
        _ view: ViewState, _ prompt: Prompt, _ key: Key, _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command]) {
        var next = view
        switch key {
        case .escape:
            next.prompt = nil
            return (next, [])
        case .backspace:
            if !prompt.text.isEmpty { next.prompt?.text.removeLast() }
            return (next, [])
        case .char(let c):
            if case .overwrite(let path) = prompt.purpose {
                next.prompt = nil
                guard c == "y" || c == "Y" else {
                    next.message = "not saved: \(path) exists"
                    return (next, [])
                }
                return (next, [.save(path: path, replacing: true)])
            }
            next.prompt?.text.append(c)
            return (next, [])
        case .enter:
            next.prompt = nil
            let text = prompt.text
            switch prompt.purpose {
            case .save:
                guard !text.isEmpty else { return (next, []) }
                return (next, [.save(path: text, replacing: false)])
            case .overwrite(let path):
                next.message = "not saved: \(path) exists"
                return (next, [])
            case .search:
                guard !text.isEmpty else { return (next, []) }
                switch SearchPattern.parse(text) {
                case .failure(let error):
                    next.message = error.message
                    next.messageIsError = true
                    return (next, [])
                case .success(let pattern):
                    let search = SearchState(query: text, pattern: pattern)
                    next.search = search
                    return (find(next, search, after: nil, snapshot), [])
                }
            case .faults(let session, let direction, let active):
                return applyFaults(next, prompt, session: session, direction: direction, active: active)
            case .breakpoint:
                return toggleBreakpoint(next, prompt)
            }
        default:
            return (next, [])
        }
    }

    /// Selects the mark's session, focuses its direction and scrolls to the byte, highlighted
    /// as a match.
    private static func show(_ mark: ByteMark, _ view: ViewState, _ snapshot: InspectorSnapshot) -> ViewState
    {
        var next = view
        guard snapshot.sessions.contains(where: { $0.id == mark.session }) else {
            next.message = "session #\(mark.session) is gone"
            return next
        }
        next.followNewest = false
        next.selected = mark.session
        next.pane = mark.direction == .c2s ? .c2s : .s2c
        next.anchor = nil
        let match = SearchMatch(direction: mark.direction, offset: mark.offset, length: 1)
        next.search = SearchState(query: "", pattern: [], match: match)
        next.scrollRequest = .match
        next.message = "the marked byte: \(mark.direction.rawValue) offset \(mark.offset) of #\(mark.session)"
        return next
    }

    private static func find(
        _ view: ViewState, _ search: SearchState, after current: SearchMatch?, _ snapshot: InspectorSnapshot
    ) -> ViewState {
        var next = view
        guard let session = view.session(in: snapshot),
            let (match, wrapped) = SearchPattern.next(
                search.pattern, after: current,
                in: SearchPattern.segments(of: session, pane: view.pane))
        else {
            next.search?.match = nil
            next.message = "not found: \(search.query)"
            next.messageIsError = true
            return next
        }
        next.search?.match = match
        next.scrollRequest = .match
        let place = "\(match.direction.rawValue) offset \(match.offset)"
        next.message = wrapped ? "search wrapped: \(place)" : "found at \(place)"
        return next
    }
}

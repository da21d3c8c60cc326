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
/// | `G` | select the newest session and follow new ones again (while the one shown holds nothing) |
/// | Tab, Shift-Tab | focus client → server → server → client → conversation |
/// | `p` | pause the focused direction, or resume it if paused (conversation: as `P`) |
/// | `P` | pause both directions, or resume both if either is paused |
/// | `s`, space | step one chunk (one message when decoded) of the focused direction (conversation: the paused or held one, c2s first) |
/// | `r` | resume every direction of every session |
/// | `I` | intercept: pause every live session and start new ones paused (as `--pause`), or stop pausing new ones |
/// | `x` | hex dump / text |
/// | `D` | the Δt column (time from the chunk or message before) on / off |
/// | `f` | follow the tail / stop following |
/// | PgUp/PgDn, Home/End | scroll the focused pane by a page / to the start / to the tail |
/// | `/` | search: `/text` (escapes `\r \n \t \\ \xNN`) or `/x 0d 0a` (hex bytes) |
/// | `F` | filter the session list: client, target or state words (`paused`, `closed`, `error`, …); empty: all |
/// | `n`, `N` | next / previous match: the rest of the pane, the other direction, the other sessions, chunks not sent included (wraps around); `n` with no search: the byte the title's notice is about (a replay's first difference) |
/// | `w` | save a capture: prompts for a name, proposing `flowtap-YYYYmmdd-HHMMSS.pcapng` |
/// | `K` | kill the session (resets both sides) |
/// | `h` | pass a FIN on in the focused direction |
/// | `e` | edit the focused direction's held chunk (``ChunkEditor``; Enter sends the edit in its place) |
/// | `d` | drop the focused direction's held chunk (never sent; the next chunk is held) |
/// | `i` | inject bytes typed in the editor into the focused direction (before a held chunk) |
/// | `t` | faults of the focused direction: `+KIND=VALUE`, `-N`, `N=KIND=VALUE`, `clear` (``FaultMenu``); Tab switches between the selected session and every session |
/// | `T` | the same menu for every session: live ones and those still to come (the UI's `--fault`) |
/// | `c` | with two sessions to compare (a replay): show both one above the other, or not |
/// | `m` | the message view of the session (``MessageView``); `m` or Esc goes back to the bytes |
/// | in the message view: Up/Down, PgUp/PgDn, Home/End | select a message (End: follow the newest); `j`/`k` still select sessions |
/// | in the message view: `v` | request/reply pairs / arrival order |
/// | in the message view: Enter | show the selected message in its direction's pane (its bytes highlighted) |
/// | in the message view: `s`, space | on a held row, step that direction |
/// | `b` | breakpoint prompt: `[c2s:|s2c:]REGEX` adds it, or removes it when set |
/// | `?` | help overlay (`?` or Esc closes it) |
/// | `q` | quit; while chunks are held, asks first (`y` quits) |
///
/// Session commands need a live session: offline they only show "offline: no live session";
/// on an ended session they show that it has ended. Every key answers in the footer. A key that
/// acts on a session (and Tab, `/`, `w`, `m`, `b`) pins the selection: new sessions are then
/// announced, not followed. A key that opens a prompt or editor and cannot (`t`, `e`, `i`, `b`)
/// opens a ``Prompt/Purpose/refused(reason:)`` line that swallows keys until Enter or Esc.
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
        if view.help {
            // The help scrolls (the renderer keeps it in range); ? or Esc closes it; other keys
            // act as usual.
            let page = max(1, view.pageLines - 1)
            switch key {
            case .up, .char("k"): next.helpTop = max(0, view.helpTop - 1)
            case .down, .char("j"): next.helpTop = view.helpTop + 1
            case .pageUp: next.helpTop = max(0, view.helpTop - page)
            case .pageDown: next.helpTop = view.helpTop + page
            case .home: next.helpTop = 0
            default: break
            }
            switch key {
            case .up, .down, .char("k"), .char("j"), .pageUp, .pageDown, .home: return (next, [])
            default: break
            }
        }
        let session = view.session(in: snapshot)
        if actsOnSession(key) {
            // The user acted: the selection stays on the session shown from now on.
            next.followNewest = false
            next.selected = session?.id
        }
        if view.messages != nil, let handled = messageKey(next, key, snapshot) { return handled }
        let view = next
        switch key {
        case .up, .char("k"): return (select(next, by: -1, snapshot), [])
        case .down, .char("j"): return (select(next, by: 1, snapshot), [])
        case .tab, .backTab:
            next.pane = key == .tab ? view.pane.next : view.pane.previous
            next.anchor = nil
            next.scrollRequest = nil
            next.search?.match = nil
            return (next, [])
        case .char("G"):
            guard let newest = view.listed(snapshot).sessions.last ?? snapshot.sessions.last else {
                next.message = "no session yet"
                return (next, [])
            }
            if newest.id != view.selected {
                next.anchor = nil
                next.scrollRequest = nil
                next.search?.match = nil
                next.messages?.selection = nil
                next.messages?.top = nil
            }
            next.selected = newest.id
            next.newestSeen = newest.id
            next.followNewest = true
            next.message = "#\(newest.id), the newest; new sessions are followed while it holds nothing"
            return (next, [])
        case .char("p"):
            return paused(
                control(next, session) { id, s in pauseToggle(id, s, view.pane.direction) }, ascii: view.ascii
            )
        case .char("P"):
            return paused(control(next, session) { id, s in pauseToggle(id, s, nil) }, ascii: view.ascii)
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
        case .char("I"):
            guard view.live else { return offline(next) }
            guard let pausing = view.pausingNew else {
                next.message = "intercepting new sessions needs the proxy's engine"
                return (next, [])
            }
            if pausing {
                next.message = "intercept off: new sessions flow (what is paused stays paused; r resumes it)"
                return (next, [.pauseNewSessions(false)])
            }
            let live = snapshot.sessions.filter { $0.closed == nil }
            var commands: [Command] = [.pauseNewSessions(true)]
            for session in live {
                for direction in Direction.allCases where !session[direction].paused {
                    commands.append(.pause(session: session.id, direction: direction))
                }
            }
            next.message =
                "intercept on: \(live.count) live session\(live.count == 1 ? "" : "s") paused, "
                + "new sessions start paused (I: off, r resumes)"
            return (next, commands)
        case .char("r"):
            guard view.live else { return offline(next) }
            next.message = "resumed every session"
            return (next, [.resumeAll])
        case .char("x"):
            next.hex.toggle()
            if next.anchor != nil { next.anchor?.line = 0 }
            return (next, [])
        case .char("D"):
            next.times.toggle()
            next.message =
                next.times
                ? "time column on: the time from the chunk before (hex view: where 16-byte rows still fit)"
                : "time column off"
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
        case .char("F"):
            next.prompt = Prompt(.filter, text: view.filter ?? "")
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
        case .char("N"):
            guard let search = view.search, !search.pattern.isEmpty else {
                next.message = "no search yet: press / first"
                return (next, [])
            }
            return (find(next, search, after: search.match, snapshot, backward: true), [])
        case .char("w"):
            next.prompt = Prompt(.save, text: proposedFileName(at: view.now))
            return (next, [])
        case .char("K"):
            var result = control(next, session) { id, _ in .success([.kill(session: id)]) }
            if case .kill(let id) = result.1.first {
                result.0.message = "killed #\(id): both sides reset"
            }
            return result
        case .char("h"):
            var result = control(next, session) { id, s in
                guard let direction = view.pane.direction else {
                    return .failure(.init("h: focus one direction first (tab)"))
                }
                switch s[direction].phase {
                case .shut, .closed:
                    return .failure(.init("\(direction.title(ascii: view.ascii)) is shut already"))
                case .readError, .writeError:
                    return .failure(.init("\(direction.title(ascii: view.ascii)) has failed"))
                case .open, .eof:
                    return .success([.passFIN(session: id, direction: direction)])
                }
            }
            if case .passFIN(let id, let direction) = result.1.first {
                result.0.message =
                    "FIN passed on in \(direction.title(ascii: view.ascii)) #\(id) (its peer reads EOF)"
            }
            return result
        case .char("t"):
            return refusing(faultMenu(next, session))
        case .char("T"):
            return refusing(everySessionFaultMenu(next))
        case .char("e"):
            return refusing(
                openEditor(next, session) { id, direction, s in
                    guard let held = s[direction].held else {
                        return .failure(
                            .init("nothing held in \(direction.title(ascii: view.ascii)) (p pauses it)"))
                    }
                    let bytes = Array(held.bytes.readableBytesView)
                    let title = "edit the held chunk  \(direction.title(ascii: view.ascii)) #\(id)"
                    return .success(
                        OpenEditor(
                            .replace(session: id, direction: direction, hold: held.number),
                            ChunkEditor(
                                title: title, bytes: bytes, mode: OpenEditor.preferredMode(for: bytes))))
                })
        case .char("i"):
            return refusing(
                openEditor(next, session) { id, direction, s in
                    if let reason = unsendable(s, direction, ascii: view.ascii) {
                        return .failure(.init(reason))
                    }
                    let title = "inject into \(direction.title(ascii: view.ascii)) #\(id)"
                    return .success(
                        OpenEditor(
                            .inject(session: id, direction: direction), ChunkEditor(title: title, bytes: [])))
                })
        case .char("d"):
            var result = control(next, session) { id, s in
                guard let direction = view.pane.direction else {
                    return .failure(.init("d: focus one direction first (tab)"))
                }
                guard let held = s[direction].held else {
                    return .failure(
                        .init("nothing held in \(direction.title(ascii: view.ascii)) (p pauses it)"))
                }
                return .success([.dropHeld(session: id, direction: direction, hold: held.number)])
            }
            if case .dropHeld(let id, let direction, _) = result.1.first,
                let held = session?[direction].held
            {
                result.0.message =
                    "dropped the held \(ByteFormat.bytes(held.bytes.readableBytes)) of "
                    + "\(direction.title(ascii: view.ascii)) #\(id): never sent (the next chunk is held)"
            }
            return result
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
            guard view.live else { return refusing(offline(next)) }
            guard view.breakpoints != nil else {
                next.message = "breakpoints need the proxy's engine"
                return refusing((next, []))
            }
            next.prompt = Prompt(.breakpoint)
            return (next, [])
        case .char("?"):
            next.help.toggle()
            next.helpTop = 0
            return (next, [])
        case .escape:
            next.help = false
            return (next, [])
        case .char("q"):
            let held =
                view.live
                ? snapshot.sessions.reduce(0) {
                    $0 + ($1.closed == nil ? ($1.c2s.held == nil ? 0 : 1) + ($1.s2c.held == nil ? 0 : 1) : 0)
                } : 0
            guard held == 0 else {
                next.prompt = Prompt(.quit(held: held))
                return (next, [])
            }
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

    /// True for the keys that show the user has taken the session in hand: from then on the
    /// selection stays where it is when new sessions arrive.
    static func actsOnSession(_ key: Key) -> Bool {
        switch key {
        case .tab, .backTab: return true
        case .char(let c): return "pPs KhtedimwbK/".contains(c)
        default: return false
        }
    }

    /// `result` with a refusal turned into a ``Prompt/Purpose/refused(reason:)`` prompt: a key
    /// that meant to open a prompt or editor could not, and what the user types next (meant for
    /// it) must not run as commands.
    static func refusing(_ result: (ViewState, [Command])) -> (ViewState, [Command]) {
        var (view, commands) = result
        guard commands.isEmpty, view.prompt == nil, view.editor == nil, let reason = view.message else {
            return result
        }
        view.prompt = Prompt(.refused(reason: reason))
        view.messageIsError = true
        return (view, commands)
    }

    /// `result` with the footer saying what a pause key did.
    private static func paused(_ result: (ViewState, [Command]), ascii: Bool) -> (ViewState, [Command]) {
        var (view, commands) = result
        let words: [String] = commands.compactMap {
            switch $0 {
            case .pause(let id, let d): "paused \(d.title(ascii: ascii)) #\(id)"
            case .resume(let id, let d): "resumed \(d.title(ascii: ascii)) #\(id)"
            default: nil
            }
        }
        if !words.isEmpty { view.message = words.joined(separator: ", ") }
        return (view, commands)
    }

    private static func select(_ view: ViewState, by delta: Int, _ full: InspectorSnapshot) -> ViewState {
        var next = view
        let snapshot = view.listed(full)
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
            guard bytes != Array(held.bytes.readableBytesView) else {
                next.editor = nil
                next.message = "unchanged: the held chunk of \(place) stays as it was (s sends it)"
                return (next, [])
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
        switch prompt.purpose {
        case .refused(let reason):
            if key == .escape || key == .enter {
                next.prompt = nil
            } else {
                next.message = reason
                next.messageIsError = true
            }
            return (next, [])
        case .quit:
            switch key {
            case .char("y"), .char("Y"): return (next, [.quit])
            case .char("n"), .char("N"), .escape, .enter:
                next.prompt = nil
                next.message = "not quit: the held chunks stay held"
            default: break
            }
            return (next, [])
        case .overwrite(let path):
            switch key {
            case .char("y"), .char("Y"):
                next.prompt = nil
                return (next, [.save(path: path, replacing: true)])
            case .char("n"), .char("N"), .enter:
                next.prompt = nil
                next.message = "not saved: \(path) exists"
            case .escape: next.prompt = nil
            default: break
            }
            return (next, [])
        default: break
        }
        switch key {
        case .escape:
            next.prompt = nil
            return (next, [])
        case .tab:
            if case .faults(let session, let direction, _) = prompt.purpose {
                return (switchFaultScope(next, prompt, session: session, direction: direction, snapshot), [])
            }
            return (next, [])
        case .backspace:
            if !prompt.text.isEmpty { next.prompt?.text.removeLast() }
            return (next, [])
        case .char(let c):
            next.prompt?.text.append(c)
            return (next, [])
        case .enter:
            next.prompt = nil
            let text = prompt.text
            switch prompt.purpose {
            case .save:
                guard !text.isEmpty else { return (next, []) }
                return (next, [.save(path: text, replacing: false)])
            case .overwrite, .refused, .quit:
                return (next, [])  // answered above
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
                return applyFaults(
                    next, prompt, session: session, direction: direction, active: active, snapshot)
            case .breakpoint:
                return toggleBreakpoint(next, prompt)
            case .filter:
                next.filter = text.isEmpty ? nil : text
                let listed = next.listed(snapshot).sessions
                if text.isEmpty {
                    next.message = "filter off: every session listed"
                } else {
                    next.message = "\(listed.count) of \(snapshot.sessions.count) sessions match \"\(text)\""
                    next.messageIsError = listed.isEmpty
                }
                if let current = next.session(in: snapshot)?.id,
                    !listed.contains(where: { $0.id == current }),
                    let newest = listed.last
                {
                    next.selected = newest.id
                    next.anchor = nil
                    next.scrollRequest = nil
                    next.search?.match = nil
                }
                return (next, [])
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

    /// The next match (or the previous one, `backward`) from the focused pane on: the rest of
    /// the pane, the session's other direction, then the other sessions, chunks not sent
    /// included (``SearchPattern/places(in:session:pane:)``). A match elsewhere selects its
    /// session and pane. The footer says where it was found.
    private static func find(
        _ view: ViewState, _ search: SearchState, after current: SearchMatch?, _ snapshot: InspectorSnapshot,
        backward: Bool = false
    ) -> ViewState {
        var next = view
        guard let session = view.session(in: snapshot),
            let (place, match, wrapped) = SearchPattern.next(
                search.pattern, after: current,
                in: SearchPattern.places(in: snapshot, session: session.id, pane: view.pane),
                backward: backward)
        else {
            next.search?.match = nil
            next.message = "not found in any session: \(search.query)"
            next.messageIsError = true
            return next
        }
        if place.session != session.id || place.pane != view.pane {
            next.selected = place.session
            next.followNewest = false
            next.pane = place.pane
            next.anchor = nil
            next.messages = nil
        }
        next.search?.match = match
        next.scrollRequest = .match
        var location = "\(match.direction.rawValue) offset \(match.offset)"
        if place.session != session.id {
            location += " of #\(place.session)"
        } else if place.pane != view.pane {
            location += " (the other direction)"
        }
        if match.unsent { location += ", in a chunk not sent" }
        next.message = wrapped ? "search wrapped: \(location)" : "found at \(location)"
        return next
    }

    /// True when `key` searches (Enter in the search prompt, `n`, `N`): the snapshot must then
    /// hold every session's history, not only the one shown.
    public static func searchesEverywhere(_ view: ViewState, _ key: Key) -> Bool {
        if let prompt = view.prompt { return prompt.purpose == .search && key == .enter }
        return view.editor == nil && (key == .char("n") || key == .char("N"))
    }
}

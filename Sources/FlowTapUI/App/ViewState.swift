import FlowEvents
import FlowFaults
import FlowTapKit

/// Everything about the screen that is not the model: what is selected and focused, how bytes
/// are shown, scrolling, search, help, the footer's prompt and message. A plain value:
/// ``KeyHandler`` makes the next one from a key, ``ScreenRenderer`` draws it.
public struct ViewState: Sendable, Equatable {
    /// The selected session's id; `nil` until there is one.
    public var selected: Int?
    /// True while the selection follows the newest session: until the user acts (moves the
    /// selection, Tab, a session key, a prompt or editor). Even then the selection moves only
    /// while the selected session holds nothing (see ``followed(in:)``).
    public var followNewest = true
    /// The newest session the user has been shown (selected, or passed over by `G`); a newer
    /// one is announced in the title ("#3 new: G") while the selection stays put.
    public var newestSeen: Int?
    /// The focused pane (client → server at start).
    public var pane: Pane = .c2s
    /// Hex dump (true, at start) or text view.
    public var hex = true
    /// True (at start) while the panes and the message list show the Δt column: the time from
    /// the chunk or message before (`D` toggles it). The hex view shows it only where the
    /// 16-byte rows still fit beside it.
    public var times = true
    /// Where the focused pane is scrolled to; `nil` while it follows the tail.
    public var anchor: ScrollAnchor?
    /// A scroll for the next render to carry out.
    public var scrollRequest: ScrollRequest?
    /// The focused pane's body height at the last render: the step of PgUp/PgDn.
    public var pageLines = 10
    /// The last search, if any.
    public var search: SearchState?
    /// True while the help overlay is shown.
    public var help = false
    /// The session list's filter (`F`): only sessions whose client, target or state words
    /// contain it (case-insensitive) are listed; `nil` lists all.
    public var filter: String?
    /// The first line of the help shown (Up/Down, PgUp/PgDn scroll the help while it is open).
    public var helpTop = 0
    /// The line being typed in the footer, if any.
    public var prompt: Prompt?
    /// Two sessions that can be read one above the other (a capture and its replay); `nil` when
    /// there are none.
    public var compare: ComparedSessions?
    /// True while ``compare`` is shown: a direction pane focused shows that direction of both
    /// sessions, the replay's below (it scrolls) and the original's above, at the same byte
    /// offsets. `c` toggles it.
    public var comparing = true
    /// The editor open over the panes (`e` on a held chunk, `i` to inject), if any: it takes
    /// every key until Enter or Esc.
    public var editor: OpenEditor?
    /// The message view (`m`) while it is shown instead of the byte panes; `nil` otherwise.
    public var messages: MessageView?
    /// The breakpoints in force (`--break`, `b`), as they read (`c2s:SET`); `nil` when they
    /// cannot be changed here (offline, or a UI without the proxy's engine). ``TerminalUI``
    /// refreshes it before each key.
    public var breakpoints: [String]?
    /// Whether new sessions start paused (`--pause`, `I`); `nil` when it cannot be changed here
    /// (offline, or a UI without the proxy's engine). ``TerminalUI`` refreshes it before each key.
    public var pausingNew: Bool?
    /// The faults each direction of new sessions starts with (`--fault`, and the fault menu for
    /// every session); `nil` when they cannot be changed here. ``TerminalUI`` refreshes it
    /// before each key.
    public var newSessionFaults: [Direction: [Fault]]?
    /// A message shown in the footer until the next key.
    public var message: String?
    /// True when the message reports a failure (drawn as an error).
    public var messageIsError = false
    /// True for a plain ASCII terminal: no other character is drawn.
    public var ascii: Bool
    /// True when commands reach live sessions (a ``SessionControl`` is present); false
    /// offline (`flowtap view`).
    public var live: Bool
    /// The current time, nanoseconds since the Unix epoch (session ages, proposed file names).
    public var now: UInt64

    /// The state at start: client → server focused, hex view, following the newest session
    /// and the tail.
    public init(ascii: Bool = false, live: Bool = true, now: UInt64 = 0) {
        self.ascii = ascii
        self.live = live
        self.now = now
    }

    /// True while the focused pane follows the tail.
    public var following: Bool { anchor == nil }

    /// The session to show and to act on: the selected one (the one drawn last), or the newest
    /// when none is selected yet or the selected one is gone; `nil` when there is none. A
    /// session that arrives between a frame and a key never takes the key: only
    /// ``followed(in:)``, applied when a frame is drawn, moves the selection.
    public func session(in snapshot: InspectorSnapshot) -> SessionSnapshot? {
        if let selected, let found = snapshot.sessions.first(where: { $0.id == selected }) {
            return found
        }
        return snapshot.sessions.last
    }

    /// `snapshot` with only the sessions the list shows (see ``filter``).
    public func listed(_ snapshot: InspectorSnapshot) -> InspectorSnapshot {
        guard let filter, !filter.isEmpty else { return snapshot }
        var listed = snapshot
        listed.sessions = snapshot.sessions.filter { Self.matches($0, filter) }
        return listed
    }

    /// True when `session`'s client, target, or one of its state words (`open`, `EOF`, `shut`,
    /// `closed`, `paused`, `held`, `error`, `read error: …`) contains `filter`, case-insensitively.
    public static func matches(_ session: SessionSnapshot, _ filter: String) -> Bool {
        var words = [session.client, session.target, session.closed == nil ? "live" : "ended"]
        for direction in [session.c2s, session.s2c] {
            words.append(direction.phase.word)
            if direction.phase.isError { words.append("error") }
            if direction.paused { words.append("paused") }
            if direction.held != nil { words.append("held") }
        }
        if let error = session.connectError { words += ["error", "connect error: \(error)"] }
        let needle = filter.lowercased()
        return words.contains { $0.lowercased().contains(needle) }
    }

    /// The view with the selection moved to the newest session when it may follow: while
    /// ``followNewest``, no prompt or editor is open, and the selected session holds no chunk
    /// (a held chunk pins it: the user is about to act on it). Records the newest session seen.
    public func followed(in snapshot: InspectorSnapshot) -> ViewState {
        var next = self
        guard let newest = listed(snapshot).sessions.last ?? snapshot.sessions.last else { return next }
        let current = session(in: snapshot)
        let holds = current.map { $0.c2s.held != nil || $0.s2c.held != nil } ?? false
        if followNewest, prompt == nil, editor == nil, !holds {
            if next.selected != newest.id {
                next.anchor = nil
                next.scrollRequest = nil
                next.search?.match = nil
            }
            next.selected = newest.id
        } else {
            next.selected = current?.id ?? newest.id
        }
        if next.selected == newest.id || newestSeen == nil {
            next.newestSeen = max(newestSeen ?? 0, next.selected ?? newest.id)
        }
        return next
    }

    /// The newest session when it is newer than any the user has been shown and is not the
    /// selected one (the title announces it: `G` goes to it); `nil` otherwise.
    public func unseenSession(in snapshot: InspectorSnapshot) -> Int? {
        guard let newest = snapshot.sessions.last?.id, newest != selected, newest > (newestSeen ?? 0)
        else { return nil }
        return newest
    }

    /// True when the selected session holds a chunk or the user acted, so a new session does
    /// not take the selection.
    public func pinned(in snapshot: InspectorSnapshot) -> Bool {
        guard followNewest else { return true }
        guard let current = session(in: snapshot) else { return false }
        return current.c2s.held != nil || current.s2c.held != nil
    }
}

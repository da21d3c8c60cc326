import FlowTapKit

/// Everything about the screen that is not the model: what is selected and focused, how bytes
/// are shown, scrolling, search, help, the footer's prompt and message. A plain value:
/// ``KeyHandler`` makes the next one from a key, ``ScreenRenderer`` draws it.
public struct ViewState: Sendable, Equatable {
    /// The selected session's id; `nil` until there is one.
    public var selected: Int?
    /// True while the selection follows the newest session (until the user moves it).
    public var followNewest = true
    /// The focused pane (client → server at start).
    public var pane: Pane = .c2s
    /// Hex dump (true, at start) or text view.
    public var hex = true
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

    /// The session to show: the selected one, or the newest while following (or when the
    /// selected one is gone); `nil` when there is none.
    public func session(in snapshot: InspectorSnapshot) -> SessionSnapshot? {
        if !followNewest, let selected, let found = snapshot.sessions.first(where: { $0.id == selected }) {
            return found
        }
        return snapshot.sessions.last
    }
}

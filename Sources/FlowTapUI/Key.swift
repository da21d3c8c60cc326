/// A key press, as the terminal backend decodes it from curses.
public enum Key: Sendable, Equatable {
    /// Arrow up.
    case up
    /// Arrow down.
    case down
    /// Page up.
    case pageUp
    /// Page down.
    case pageDown
    /// Home.
    case home
    /// End.
    case end
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// Enter or Return.
    case enter
    /// Escape.
    case escape
    /// Backspace (or DEL).
    case backspace
    /// The terminal was resized (curses' `KEY_RESIZE`).
    case resize
    /// A printable character (space included).
    case char(Character)
}

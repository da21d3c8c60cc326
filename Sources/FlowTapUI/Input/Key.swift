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
    /// Arrow left.
    case left
    /// Arrow right.
    case right
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// Enter or Return.
    case enter
    /// Escape.
    case escape
    /// Backspace (or DEL, the byte 0x7f most terminals send for it): deletes before the cursor.
    case backspace
    /// Forward delete (the Delete key, curses' `KEY_DC`): deletes after the cursor.
    case delete
    /// The terminal was resized (curses' `KEY_RESIZE`).
    case resize
    /// A printable character (space included).
    case char(Character)
}

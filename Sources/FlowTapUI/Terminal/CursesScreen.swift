import CNcurses

/// The curses screen, used only by the thread that created it: set up in ``init(colors:)``,
/// restored by ``close()`` (`endwin`, also on deinit).
final class CursesScreen {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var closed = false
    private let colors: Bool
    /// The grid last copied to the window, and the window's size then: rows equal to it are
    /// not copied again (the window still holds them).
    private var shown: (grid: CellGrid, width: Int, height: Int)?
    /// The wide characters of one run, kept from run to run.
    private var run: [wchar_t] = []

    /// Starts curses on the terminal (stdin/stdout, `$TERM`): cbreak, no echo, keypad, no
    /// newline translation, hidden cursor, colors when asked for and available. `nil` when the
    /// terminal cannot be used.
    init?(colors wantColors: Bool) {
        guard let screen = flowtap_newterm() else { return nil }
        self.screen = screen
        set_term(screen)
        guard let window = flowtap_stdscr() else {
            endwin()
            delscreen(screen)
            return nil
        }
        self.window = window
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        intrflush(window, false)
        set_escdelay(25)
        curs_set(0)
        if wantColors && has_colors() {
            start_color()
            use_default_colors()
            let map: [(ColorRole, Int32)] = [
                (.title, COLOR_CYAN), (.c2s, COLOR_GREEN), (.s2c, COLOR_MAGENTA), (.error, COLOR_RED),
                (.held, COLOR_YELLOW), (.match, COLOR_YELLOW), (.help, COLOR_CYAN),
            ]
            for (role, color) in map { init_pair(Int16(role.rawValue), Int16(color), -1) }
            colors = true
        } else {
            colors = false
        }
        werase(window)
    }

    deinit { close() }

    /// Restores the terminal (`endwin`); later calls do nothing.
    func close() {
        guard !closed else { return }
        closed = true
        curs_set(1)
        endwin()
        delscreen(screen)
    }

    /// The terminal's size in columns and rows.
    var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    /// The next key, waiting at most `waitMilliseconds` (0: only what is pending); `nil` when
    /// none came. Keys without a meaning here are skipped.
    func key(waitMilliseconds: Int32) -> Key? {
        wtimeout(window, waitMilliseconds)
        while true {
            var ch: wint_t = 0
            let result = wget_wch(window, &ch)
            if result == ERR { return nil }
            if result == KEY_CODE_YES {
                switch Int32(ch) {
                case KEY_UP: return .up
                case KEY_DOWN: return .down
                case KEY_PPAGE: return .pageUp
                case KEY_NPAGE: return .pageDown
                case KEY_HOME: return .home
                case KEY_END: return .end
                case KEY_BTAB: return .backTab
                case KEY_LEFT: return .left
                case KEY_RIGHT: return .right
                case KEY_BACKSPACE: return .backspace
                case KEY_DC: return .delete
                case KEY_ENTER: return .enter
                case KEY_RESIZE:
                    // The window was resized (perhaps and back): copy every row next time.
                    shown = nil
                    return .resize
                default: continue
                }
            }
            switch ch {
            case 9: return .tab
            case 10, 13: return .enter
            case 27: return .escape
            case 8, 127: return .backspace
            case 12:
                clearok(window, true)
                shown = nil
                return .resize
            default:
                guard ch >= 32, let scalar = Unicode.Scalar(UInt32(ch)) else { continue }
                return .char(Character(scalar))
            }
        }
    }

    /// Copies `grid` to the screen, run by run of cells of one style, and shows it. Rows equal
    /// to those of the grid copied last (with the window the same size) are left as they are:
    /// under traffic most of a frame is the hex rows that changed, not the whole screen.
    func draw(_ grid: CellGrid) {
        let (width, height) = size
        let previous = shown.flatMap { last in
            last.width == width && last.height == height && last.grid.width == grid.width
                && last.grid.height == grid.height ? last.grid : nil
        }
        let columns = min(width, grid.width)
        // A local buffer: a stored property would be checked for exclusive access per cell.
        var run = self.run
        self.run = []
        defer { self.run = run }
        run.reserveCapacity(columns)
        for y in 0..<min(height, grid.height) {
            let row = y * grid.width
            if let previous, previous.cells[row..<(row + grid.width)] == grid.cells[row..<(row + grid.width)]
            {
                continue
            }
            var x = 0
            while x < columns {
                let style = grid.cells[row + x].style
                run.removeAll(keepingCapacity: true)
                let start = x
                while x < columns && grid.cells[row + x].style == style {
                    let cell = grid.cells[row + x]
                    if !cell.isContinuation {
                        let value = cell.scalar.value
                        // The grid holds no control characters; this is a last guard.
                        run.append(wchar_t(value < 0x20 || (0x7f..<0xa0).contains(value) ? 0x3f : value))
                    }
                    x += 1
                }
                wattr_set(window, attributes(style), colors ? Int16(style.role.rawValue) : 0, nil)
                _ = mvwaddnwstr(window, Int32(y), Int32(start), run, Int32(run.count))
            }
        }
        shown = (grid, width, height)
        wattr_set(window, flowtap_a_normal(), 0, nil)
        wnoutrefresh(window)
        doupdate()
    }

    private func attributes(_ style: CellStyle) -> attr_t {
        var attributes = flowtap_a_normal()
        if style.bold { attributes |= flowtap_a_bold() }
        if style.reverse { attributes |= flowtap_a_reverse() }
        if style.dim { attributes |= flowtap_a_dim() }
        return attributes
    }
}

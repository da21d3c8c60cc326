import CNcurses
import FlowEvents
import FlowFaults
import FlowTapKit
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The curses front end: draws the ``InspectorModel`` with ``ScreenRenderer`` on the terminal
/// and turns keys into view changes and ``SessionControl`` commands with ``KeyHandler``.
///
/// One dedicated thread owns curses from `newterm` to `endwin`: it waits for a key at most
/// ~30 ms at a time, redraws at most ~30 times a second and only when the model's version, the
/// view state, the terminal's size or the second shown (ages, rates) changed, and copies the
/// grid to the screen cell by cell (never a control character). It installs no signal handler
/// (ncurses handles SIGWINCH and reports `KEY_RESIZE`); the caller's SIGINT/SIGTERM handler
/// calls ``requestStop()``. The terminal is restored with `endwin` on every way out.
public enum TerminalUI {
    private static let stopRequested = Atomic<Bool>(false)
    private static let running = Atomic<Bool>(false)

    /// Runs the UI until `q` (``Outcome/quit``) or ``requestStop()`` (``Outcome/stopped``);
    /// ``Outcome/failed(_:)`` when the terminal cannot be used (no terminal, unknown `TERM`)
    /// or another UI is running. `control` is `nil` offline (`flowtap view`): session keys
    /// then only say so. `w` writes `archive` (the events the engine kept). `b` adds to and
    /// removes from `breakpoints` (the engine's ``FlowTapKit/SessionController/breakpoints``);
    /// without them `b` says it cannot. `I` changes `newSessions` (the engine's
    /// ``FlowTapKit/SessionController/newSessions``). The caller must not print while this runs.
    public static func run(
        model: InspectorModel, archive: SessionArchive, control: (any SessionControl)?,
        breakpoints: BreakpointSet? = nil, newSessions: NewSessionPolicy? = nil, options: TerminalUI.Options
    ) async -> TerminalUI.Outcome {
        guard
            running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                .exchanged
        else { return .failed("the terminal UI is already running") }
        return await withCheckedContinuation { continuation in
            DetachedThread.start(name: "flowtap-ui") {
                let outcome = loop(
                    model: model, archive: archive, control: control, breakpoints: breakpoints,
                    newSessions: newSessions, options: options)
                stopRequested.store(false, ordering: .releasing)
                running.store(false, ordering: .releasing)
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Asks a running UI to restore the terminal and return ``Outcome/stopped`` (within ~30 ms).
    /// Thread-safe and lock-free: callable from a signal-handling `DispatchSource`. A request
    /// made while no UI runs stops the next one at once.
    public static func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    private static func loop(
        model: InspectorModel, archive: SessionArchive, control: (any SessionControl)?,
        breakpoints: BreakpointSet?, newSessions: NewSessionPolicy?, options: Options
    ) -> Outcome {
        setlocale(LC_ALL, "")
        let ascii =
            options.ascii
            ?? Options.prefersASCII(
                codesetIsUTF8: flowtap_codeset_is_utf8() != 0,
                term: ProcessInfo.processInfo.environment["TERM"])
        guard let screen = CursesScreen(colors: options.colors) else {
            return .failed(
                "cannot use the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset"))")
        }
        defer { screen.close() }
        var view = ViewState(ascii: ascii, live: control != nil, now: WallClock.nanoseconds())
        if let compare = options.compare {
            view.compare = compare
            view.pane = .s2c
        }
        var drawn: (version: Int, view: ViewState, second: UInt64, width: Int, height: Int)?
        var lastDraw: UInt64 = 0
        let frame: UInt64 = 33_000_000
        // Why an injection could not be written: heard later, from the engine's threads.
        let refusals = Mutex<[String]>([])
        let onRefusal: @Sendable (String) -> Void = { reason in refusals.withLock { $0.append(reason) } }
        while true {
            if stopRequested.load(ordering: .acquiring) { return .stopped }
            if let refusal = refusals.withLock({ $0.popLast() }) {
                view.message = "not injected: \(refusal)"
                view.messageIsError = true
            }
            var keys: [Key] = []
            var first = true
            while let key = screen.key(waitMilliseconds: first ? options.pollMilliseconds : 0) {
                keys.append(key)
                first = false
                if keys.count >= 64 { break }
            }
            view.now = WallClock.nanoseconds()
            // What `b` changed, and what the engine holds to (also shown when nothing else changed).
            if let breakpoints { view.breakpoints = breakpoints.all.map(\.description) }
            view.pausingNew = newSessions?.pausesNewSessions
            view.newSessionFaults = newSessions.map(Self.faults)
            let (width, height) = screen.size
            let second = view.now / 1_000_000_000
            var shown = view
            shown.now = 0
            if keys.isEmpty, let d = drawn, d.version == model.version, d.view == shown, d.second == second,
                d.width == width, d.height == height
            {
                continue  // nothing changed: no snapshot taken
            }
            var snapshot = model.snapshot(historyFor: wanted(view, model))
            for key in keys {
                if key == .resize { drawn = nil }
                // A search looks in every session: their histories too.
                if KeyHandler.searchesEverywhere(view, key) { snapshot = model.snapshot() }
                let (next, commands) = KeyHandler.handle(view, key, snapshot)
                view = next
                for command in commands {
                    switch command {
                    case .quit: return .quit
                    case .save(let path, let replacing):
                        view = save(archive, to: path, replacing: replacing, view)
                    case .pauseNewSessions(let on):
                        newSessions?.setPausing(on)
                        view.pausingNew = newSessions?.pausesNewSessions
                    case .setNewSessionFaults(let direction, let faults):
                        newSessions?.setFaults(faults, for: direction)
                        view.newSessionFaults = newSessions.map(Self.faults)
                    case .toggleBreakpoint(let breakpoint):
                        breakpoints?.toggle(breakpoint)
                        if let breakpoints { view.breakpoints = breakpoints.all.map(\.description) }
                    default:
                        if let control { command.send(to: control, onRefusal: onRefusal) }
                    }
                }
                snapshot = model.snapshot(historyFor: wanted(view, model))
            }
            shown = view
            shown.now = 0
            if let d = drawn, d.version == snapshot.version, d.view == shown, d.second == second,
                d.width == width, d.height == height
            {
                continue
            }
            if view.now &- lastDraw < frame && drawn != nil { continue }
            let (grid, settled) = ScreenRenderer.render(snapshot, view, width: width, height: height)
            view = settled
            screen.draw(grid)
            lastDraw = view.now
            shown = view
            shown.now = 0
            drawn = (snapshot.version, shown, second, width, height)
        }
    }

    /// The sessions whose histories the frame needs: the one shown, and the compared pair.
    /// The faults each direction of new sessions starts with, for ``ViewState/newSessionFaults``.
    private static func faults(_ policy: NewSessionPolicy) -> [Direction: [Fault]] {
        [.c2s: policy.faults(for: .c2s), .s2c: policy.faults(for: .s2c)]
    }

    private static func wanted(_ view: ViewState, _ model: InspectorModel) -> Set<Int> {
        var ids: Set<Int> = []
        if let compare = view.compare, view.comparing { ids = [compare.original, compare.replay] }
        if let selected = view.selected { ids.insert(selected) }
        // The next frame may follow the newest session.
        return ids.union(model.sessionIDs.last.map { [$0] } ?? [])
    }

    /// Writes the archive's events to `path`; an existing file is replaced only once the user
    /// said yes (the prompt asks when `replacing` is false and the file exists).
    private static func save(
        _ archive: SessionArchive, to path: String, replacing: Bool, _ view: ViewState
    ) -> ViewState {
        var next = view
        do {
            let count = try archive.write(to: path, replacing: replacing)
            next.message = "saved \(count) session\(count == 1 ? "" : "s") to \(path)"
        } catch {
            if error.errno == EEXIST && !replacing {
                next.prompt = Prompt(.overwrite(path: path))
            } else {
                next.message = error.description
                next.messageIsError = true
            }
        }
        return next
    }
}

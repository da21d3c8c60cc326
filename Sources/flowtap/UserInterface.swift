import FlowEvents
import FlowTapKit
import FlowTapUI

/// Runs the curses UI in front of a running engine.
enum UserInterface {
    /// Starts `work` (the accept loop, or the demo script) in the background, shows the UI until
    /// the user quits or SIGINT/SIGTERM arrives, then calls `stop` and waits for `work` to end.
    /// Sessions that still hold a chunk are reset first (their chunks are never sent: said on
    /// stderr), so that quitting does not wait for them. The terminal is restored before this
    /// returns.
    static func run(
        model: InspectorModel, archive: SessionArchive, control: (any SessionControl)?,
        options: TerminalUI.Options = .init(),
        work: @escaping @Sendable () async -> Void, stop: @escaping @Sendable () async -> Void
    ) async -> TerminalUI.Outcome {
        let working = Task { await work() }
        let signals = TerminationSignals { TerminalUI.requestStop() }
        // `b` changes the engine's breakpoints (a proxy's or the demo's); offline there are none.
        let breakpoints = (control as? SessionController)?.breakpoints
        let outcome = await TerminalUI.run(
            model: model, archive: archive, control: control, breakpoints: breakpoints,
            newSessions: (control as? SessionController)?.newSessions, options: options)
        signals.cancel()
        if let control, outcome == .quit || outcome == .stopped { dropHeldAndReset(model, control) }
        await stop()
        await working.value
        return outcome
    }

    /// Drops every chunk a live session holds (the quit prompt said they would never be sent)
    /// and resets those sessions: they could not end by themselves, so quitting would otherwise
    /// wait for the engine's grace period (and the engine would let the held chunks go on). Says
    /// so on stderr before the wait.
    private static func dropHeldAndReset(_ model: InspectorModel, _ control: any SessionControl) {
        guard let controller = control as? SessionController else { return }
        var chunks = 0
        var reset: [Int] = []
        for session in model.snapshot(historyFor: []).sessions where session.closed == nil {
            var holds = false
            for direction in Direction.allCases {
                guard let held = controller.held(session: session.id, direction: direction) else { continue }
                controller.dropHeld(session: session.id, direction: direction, hold: held.number)
                chunks += 1
                holds = true
            }
            if holds {
                controller.kill(session: session.id)
                reset.append(session.id)
            }
        }
        guard chunks > 0 else { return }
        FileHandleOutput.message(
            "\(chunks) held chunk\(chunks == 1 ? "" : "s") never sent; reset "
                + reset.map { "#\($0)" }.joined(separator: ", "))
    }
}

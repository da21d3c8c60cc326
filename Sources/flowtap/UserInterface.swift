import FlowTapKit
import FlowTapUI

/// Runs the curses UI in front of a running engine.
enum UserInterface {
    /// Starts `work` (the accept loop, or the demo script) in the background, shows the UI until
    /// the user quits or SIGINT/SIGTERM arrives, then calls `stop` and waits for `work` to end.
    /// The terminal is restored before this returns.
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
            model: model, archive: archive, control: control, breakpoints: breakpoints, options: options)
        signals.cancel()
        await stop()
        await working.value
        return outcome
    }
}

extension TerminalUI {
    /// How ``TerminalUI/run(model:control:options:)`` ended; the terminal is restored in every case.
    public enum Outcome: Sendable, Equatable {
        /// The user pressed `q`.
        case quit
        /// ``TerminalUI/requestStop()`` was called (a signal).
        case stopped
        /// The UI could not start; the text says why, for one line on stderr.
        case failed(String)
    }
}

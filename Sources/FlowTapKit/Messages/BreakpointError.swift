import FlowCore

/// A `--break` (or `b`) text that is not a breakpoint.
public struct BreakpointError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text given.
    public var text: String
    /// Why it was refused.
    public var reason: String

    /// An error about `text`.
    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    /// `bad breakpoint "c2s:(": not a regular expression: …`, safe to print on a terminal.
    public var description: String {
        TerminalText.escape("bad breakpoint \"\(text)\": \(reason) (expected [c2s:|s2c:]REGEX)")
    }
}

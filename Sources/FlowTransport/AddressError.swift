import FlowCore

/// A malformed address text, as given to ``Address/parse(_:)``, or a listen host that does not
/// resolve (``Address/resolveListenHost()``).
///
/// Its ``description`` quotes the input and names what is wrong, on one line, for example
/// `bad address "tcp:localhost": missing port`.
public struct AddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that failed to parse, exactly as given.
    public var input: String
    /// What is wrong with it, e.g. `missing port` or `port 99999 out of range 0-65535`.
    public var problem: String

    /// Makes an error for `input` with the given `problem`.
    public init(input: String, problem: String) {
        self.input = input
        self.problem = problem
    }

    /// `bad address "INPUT": PROBLEM`, escaped for a terminal (``FlowCore/TerminalText``): the
    /// input is an argument, and may hold control characters.
    public var description: String {
        TerminalText.escape("bad address \"\(input)\": \(problem)")
    }
}

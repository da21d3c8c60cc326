/// A malformed address text, as given to ``Address/parse(_:)``.
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

    /// `bad address "INPUT": PROBLEM`.
    public var description: String {
        "bad address \"\(input)\": \(problem)"
    }
}

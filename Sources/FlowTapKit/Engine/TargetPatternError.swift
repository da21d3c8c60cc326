/// A bad `--only` pattern: what was given and what is wrong with it.
public struct TargetPatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text given.
    public var input: String
    /// What is wrong.
    public var problem: String

    /// `bad --only pattern "INPUT": PROBLEM`.
    public var description: String { "bad --only pattern \"\(input)\": \(problem)" }
}

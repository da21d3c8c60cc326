/// A `--fault` value that cannot be parsed: names the whole value and the part that is wrong,
/// e.g. `"s2c:latency=abc": bad duration "abc" (expected e.g. 200ms, 1.5s)`.
public struct FaultSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value as given.
    public var spec: String
    /// What is wrong with it, naming the part.
    public var problem: String

    /// An error about `spec`.
    public init(spec: String, problem: String) {
        self.spec = spec
        self.problem = problem
    }

    /// `"SPEC": PROBLEM`.
    public var description: String { "\"\(spec)\": \(problem)" }
}

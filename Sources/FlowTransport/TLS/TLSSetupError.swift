/// A TLS setting that cannot be used: a CA folder, certificate, key or trust file flowtap
/// cannot read, write or understand. ``description`` names the file and the problem:
/// `/home/u/.local/share/flowtap/ca.key: permission denied`.
public struct TLSSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or folder) concerned.
    public var file: String
    /// What is wrong with it.
    public var problem: String

    /// An error about `file`.
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    /// `FILE: PROBLEM`.
    public var description: String { "\(file): \(problem)" }
}

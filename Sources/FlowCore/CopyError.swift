/// Why ``copy(from:to:clock:)`` stopped early: which side failed, and what had been moved by
/// then (mirage-flow's `` `A of A.error | `B of B.write_error ``, plus the partial statistics).
public enum CopyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Reading the source failed.
    case source(FlowError, stats: Stats)
    /// Writing the destination failed. The failed chunk is counted as read, not as written.
    case destination(WriteError, stats: Stats)

    /// What had been copied when the error happened.
    public var stats: Stats {
        switch self {
        case .source(_, let stats), .destination(_, let stats): stats
        }
    }

    /// `"read error: …"` or `"write error: …"` followed by the reason.
    public var description: String {
        switch self {
        case .source(let error, _): "read error: \(error)"
        case .destination(let error, _): "write error: \(error)"
        }
    }
}

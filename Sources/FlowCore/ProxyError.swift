/// Why ``proxy(_:_:clock:)`` failed: the direction that failed, or both (mirage-flow's
/// `` `A | `B | `A_and_B ``). Unlike the original, the statistics of every direction survive.
public enum ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The direction from `a` to `b` failed (reading `a` or writing `b`); the other direction
    /// ended cleanly with `bToA`.
    case a(CopyError, bToA: Stats)
    /// The direction from `b` to `a` failed (reading `b` or writing `a`); the other direction
    /// ended cleanly with `aToB`.
    case b(CopyError, aToB: Stats)
    /// Both directions failed.
    case both(CopyError, CopyError)

    /// The statistics of the direction `a` to `b`, complete or partial.
    public var aToB: Stats {
        switch self {
        case .a(let error, _): error.stats
        case .b(_, let stats): stats
        case .both(let error, _): error.stats
        }
    }

    /// The statistics of the direction `b` to `a`, complete or partial.
    public var bToA: Stats {
        switch self {
        case .a(_, let stats): stats
        case .b(let error, _): error.stats
        case .both(_, let error): error.stats
        }
    }

    /// `"flow proxy a: …"`, `"flow proxy b: …"` or both joined by `"; "`, as the original printed.
    public var description: String {
        switch self {
        case .a(let error, _): "flow proxy a: \(error)"
        case .b(let error, _): "flow proxy b: \(error)"
        case .both(let ea, let eb): "flow proxy a: \(ea); flow proxy b: \(eb)"
        }
    }
}

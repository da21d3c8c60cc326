/// A write failure of a ``Flow`` (mirage-flow's `write_error`, open to other errors).
public enum WriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The flow's write side is closed: by ``Flow/close()``, by
    /// ``ShutdownableFlow/shutdownWrite()``, or because the peer stopped reading.
    case closed
    /// The transport failed; the ``FlowError`` says why (e.g. `"connection reset by peer"`).
    case failed(FlowError)

    /// `"attempted to write to a closed flow"` for ``closed`` (mirage-flow's wording), else the
    /// failure's reason.
    public var description: String {
        switch self {
        case .closed: "attempted to write to a closed flow"
        case .failed(let error): error.description
        }
    }
}

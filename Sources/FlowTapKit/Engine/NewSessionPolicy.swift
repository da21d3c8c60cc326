import Synchronization

/// What applies to sessions not accepted yet, changed while flowtap runs: whether they start
/// paused (`--pause`, and the UI's `I`). Shared by an ``Inspector`` (which reads it at each
/// accept) and its ``SessionController`` (through which the UI changes it). Thread-safe.
public final class NewSessionPolicy: Sendable {
    private let pausing: Mutex<Bool>

    /// A policy starting with `pausing`.
    public init(pausing: Bool = false) {
        self.pausing = Mutex(pausing)
    }

    /// Whether sessions accepted from now on start paused.
    public var pausesNewSessions: Bool { pausing.withLock { $0 } }

    /// Makes sessions accepted from now on start paused (`true`) or flowing; sessions already
    /// accepted are not changed.
    public func setPausing(_ on: Bool) {
        pausing.withLock { $0 = on }
    }
}

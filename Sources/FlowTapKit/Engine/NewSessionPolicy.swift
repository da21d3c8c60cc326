import FlowEvents
import FlowFaults
import Synchronization

/// What applies to sessions not accepted yet, changed while flowtap runs: whether they start
/// paused (`--pause`, and the UI's `I`), and the faults each direction starts with (`--fault`,
/// and the UI's fault menu for every session). Shared by an ``Inspector`` (which reads it at
/// each accept) and its ``SessionController`` (through which the UI changes it). Thread-safe.
public final class NewSessionPolicy: Sendable {
    private struct State {
        var pausing: Bool
        var c2s: [Fault]
        var s2c: [Fault]
    }

    private let state: Mutex<State>

    /// A policy starting with `pausing`, and with `faults` on the directions each names
    /// (``FaultSpec/target``), in their order.
    public init(pausing: Bool = false, faults: [FaultSpec] = []) {
        func on(_ direction: Direction) -> [Fault] {
            faults.filter { $0.target.directions.contains(direction) }.map(\.fault)
        }
        state = Mutex(State(pausing: pausing, c2s: on(.c2s), s2c: on(.s2c)))
    }

    /// Whether sessions accepted from now on start paused.
    public var pausesNewSessions: Bool { state.withLock { $0.pausing } }

    /// Makes sessions accepted from now on start paused (`true`) or flowing; sessions already
    /// accepted are not changed.
    public func setPausing(_ on: Bool) {
        state.withLock { $0.pausing = on }
    }

    /// The faults `direction` of sessions accepted from now on starts with, in the order they
    /// act on written data (a latency without a seed gets each session's own, as `--fault`'s).
    public func faults(for direction: Direction) -> [Fault] {
        state.withLock { direction == .c2s ? $0.c2s : $0.s2c }
    }

    /// Makes `direction` of sessions accepted from now on start with `faults`; sessions already
    /// accepted are not changed (the UI changes theirs one by one).
    public func setFaults(_ faults: [Fault], for direction: Direction) {
        state.withLock {
            if direction == .c2s { $0.c2s = faults } else { $0.s2c = faults }
        }
    }
}

import FlowCore
import FlowFaults

/// What a ``Session`` needs of a fault stack, whatever flow and clock it was made with.
protocol FaultControl: Sendable {
    /// The active faults.
    var faults: [Fault] { get }
    /// Replaces the active faults.
    func set(_ faults: [Fault])
    /// Fails waiting and later writes (a killed session's blackholed writer wakes).
    func fail(_ error: FlowError)
}

extension FaultStack: FaultControl {}

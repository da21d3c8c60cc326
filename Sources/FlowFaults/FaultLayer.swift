import FlowCore

/// What a ``FaultStack`` needs of the combinators it chains, besides being flows.
protocol FaultLayer: ShutdownableFlow {
    /// Waits until everything written so far was handed to the wrapped flow (or dropped by a
    /// failure); returns at once for combinators that hold nothing between writes.
    func flush() async
    /// Fails every waiting and later write with `error`, drops what is held, wakes every waiter.
    func abort(_ error: FlowError)
}

extension FaultLayer {
    /// Nothing is held between writes: returns at once.
    func flush() async {}
    /// Nothing is held or waiting: nothing to fail.
    func abort(_ error: FlowError) {}
}

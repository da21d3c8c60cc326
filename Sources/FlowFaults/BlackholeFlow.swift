import FlowCore
import NIOCore

/// A fault combinator: while active, nothing written reaches the wrapped flow and nothing is
/// closed — the peer's reader simply stalls, as behind a network that drops every packet.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// reads and ``shutdownRead()`` go straight to the wrapped flow, so the other direction lives on.
///
/// Chosen semantics: the *writer stalls* rather than its data being discarded. A write (and a
/// FIN, ``shutdownWrite()``) waits while the blackhole is active, as a TCP sender does once the
/// packets it sends into a black hole have filled its window; the source of a proxy is then
/// pushed back on. Nothing is lost: ``lift()`` lets the waiting write, and everything after it,
/// through in order. ``fail(_:)`` (or cancelling the waiting task) ends the wait with an error.
///
/// - Throws (writes): ``WriteError/failed(_:)`` with the error given to ``fail(_:)``, or
///   "cancelled"; the wrapped flow's own errors once lifted.
/// - ``close()`` waits like a FIN, then closes the wrapped flow.
public final class BlackholeFlow<Base: ShutdownableFlow>: ShutdownableFlow, FaultLayer {
    private struct State: Sendable {
        var active: Bool
        var failure: FlowError?
    }

    /// The wrapped flow.
    public let base: Base
    private let state: AsyncMonitor<State>

    /// Holds everything written to `base` while active (from the start when `active`).
    public init(_ base: Base, active: Bool = true) {
        self.base = base
        self.state = AsyncMonitor(State(active: active))
    }

    /// True while writes are held.
    public var isActive: Bool { state.withLock { $0.active } }

    /// Starts holding writes (again).
    public func engage() { state.withLock { $0.active = true } }

    /// Stops holding: the waiting write and every later one go through, in order.
    public func lift() { state.withLock { $0.active = false } }

    /// Ends every waiting and later write with `error` (as ``WriteError/failed(_:)``).
    public func fail(_ error: FlowError) { state.withLock { $0.failure = error } }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Waits while active, then writes to the wrapped flow.
    /// - Throws: the error given to ``fail(_:)`` or "cancelled"; the wrapped flow's errors.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        try await pass()
        try await base.write(buffer)
    }

    /// Waits while active, then passes the FIN on (a failed or cancelled wait passes it at once).
    public func shutdownWrite() async {
        _ = try? await pass()
        await base.shutdownWrite()
    }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Passes the FIN on (see ``shutdownWrite()``), then closes the wrapped flow.
    public func close() async {
        await shutdownWrite()
        await base.close()
    }

    private func pass() async throws(WriteError) {
        let woke = (try? await state.wait(until: { !$0.active || $0.failure != nil })) != nil
        if let failure = state.withLock({ $0.failure }) { throw .failed(failure) }
        if !woke { throw .failed(FlowError("cancelled")) }
    }

    func abort(_ error: FlowError) { fail(error) }
}

import FlowCore
import NIOCore
import Synchronization

/// A ``ShutdownableFlow`` that injects a list of ``Fault``s into what is written to the flow it
/// wraps, and whose list can be changed while data flows: how the inspector puts faults on one
/// direction of a live session.
///
/// Like every fault, the stack acts on what is *written* (the data going towards the wrapped
/// endpoint); reads and ``shutdownRead()`` go straight to the wrapped flow. The faults are the
/// combinators of FlowFaults chained in list order: ``faults``[0] acts first on written data,
/// the last one writes to the wrapped flow. ``Fault/blackhole`` is applied at the stack's
/// entry, whatever its place: while it is in the list, writes and the FIN wait (nothing is lost;
/// what is already queued further down, e.g. in a latency, still arrives).
///
/// Changing the list is safe from any thread, at any time:
/// - ``add(_:)`` puts a fault in front of the others (it acts first); the faults already there
///   keep their state (a limit keeps counting).
/// - ``set(_:)`` and ``remove(_:)`` build a new chain; the next write first waits until the old
///   chain has delivered what it holds (order is kept), and the faults count afresh.
/// - A write already inside the chain finishes there; a change applies from the next write.
///
/// Errors and ends: a ``Fault/limit(bytes:)`` ends the direction with a FIN and makes writes
/// throw ``WriteError/closed``. A ``Fault/reset(afterBytes:)`` or ``reset()`` fails every later
/// read and write with ``ResetFlow/resetError`` and calls `onReset` (the inspector resets both
/// sockets; without it the wrapped flow is shut both ways). ``fail(_:)`` fails waiting and later
/// writes and reads without calling `onReset` (for a session being killed).
/// ``shutdownWrite()`` passes the FIN through the chain (after a latency's queued data, after a
/// slow close's delay) and returns once it was passed on; ``close()`` is that followed by the
/// wrapped flow's `close()`.
///
/// An empty stack costs nothing: with no fault, no retired chain and no failure, a write, read
/// or FIN goes straight to the wrapped flow after one atomic load (no lock, no allocation, no
/// extra suspension).
public final class FaultStack<Base: ShutdownableFlow, C: Clock>: ShutdownableFlow
where C.Duration == Duration {
    private struct Chain: Sendable {
        var top: AnyShutdownableFlow?
        var layers: [any FaultLayer] = []
        var id = 0
    }

    private struct State: Sendable {
        var faults: [Fault] = []
        var chain = Chain()
        var retired: [Chain] = []
        var nextChainID = 1
        var failure: FlowError?
        var blackholed: Bool { faults.contains(.blackhole) }
        /// Nothing to apply: calls go straight to the wrapped flow.
        var passesThrough: Bool { failure == nil && faults.isEmpty && retired.isEmpty && chain.top == nil }
    }

    /// The wrapped flow.
    public let base: Base
    private let clock: C
    private let onReset: (@Sendable () async -> Void)?
    private let state = AsyncMonitor(State())
    /// ``State/passesThrough``, kept in step with every change: the empty stack's fast path.
    /// Visible to the inlinable ``read()`` and ``write(_:)``, whose fast paths are specialized
    /// into the caller's code for its flow types.
    @usableFromInline let passThrough = Atomic(true)

    /// A stack over `base` starting with `faults`, timed by `clock`; `onReset` is what a reset
    /// does to the real endpoints (default: shut `base` both ways).
    public init(
        _ base: Base, faults: [Fault] = [], clock: C, onReset: (@Sendable () async -> Void)? = nil
    ) {
        self.base = base
        self.clock = clock
        self.onReset = onReset
        set(faults)
    }

    /// The active faults, in the order they act on written data.
    public var faults: [Fault] { state.withLock { $0.faults } }

    /// Replaces the active faults; see the type's notes for how the change takes effect.
    public func set(_ faults: [Fault]) {
        change { s in
            let old = s.faults.filter { $0 != .blackhole }
            let new = faults.filter { $0 != .blackhole }
            defer { s.faults = faults }
            if old == new { return }
            if new.count > old.count, Array(new.suffix(old.count)) == old {
                for fault in new.prefix(new.count - old.count).reversed() { push(fault, onto: &s.chain) }
                return
            }
            if !s.chain.layers.isEmpty { s.retired.append(s.chain) }
            s.chain = Chain(id: s.nextChainID)
            s.nextChainID += 1
            for fault in new.reversed() { push(fault, onto: &s.chain) }
        }
    }

    /// Puts `fault` in front of the active ones (it acts first on written data).
    public func add(_ fault: Fault) { set([fault] + faults) }

    /// Removes the first active fault equal to `fault`; does nothing if there is none.
    public func remove(_ fault: Fault) {
        var list = faults
        guard let index = list.firstIndex(of: fault) else { return }
        list.remove(at: index)
        set(list)
    }

    /// Resets the connection now: every later read and write fails with
    /// ``ResetFlow/resetError``, held data is dropped, and `onReset` is called (once).
    public func reset() async {
        guard abort(ResetFlow<Base>.resetError) else { return }
        if let onReset {
            await onReset()
        } else {
            await base.shutdownRead()
            await base.shutdownWrite()
        }
    }

    /// Fails every waiting and later write (and later reads) with `error`, dropping held data,
    /// without calling `onReset`. Does nothing after a reset or an earlier failure.
    public func fail(_ error: FlowError) { _ = abort(error) }

    private func abort(_ error: FlowError) -> Bool {
        let chains: [Chain]? = change { s in
            guard s.failure == nil else { return nil }
            s.failure = error
            defer { s.retired.removeAll() }
            return s.retired + [s.chain]
        }
        guard let chains else { return false }
        for chain in chains {
            for layer in chain.layers { layer.abort(error) }
        }
        return true
    }

    /// Changes the state and keeps ``passThrough`` in step with it.
    private func change<R: Sendable>(_ body: (inout State) -> R) -> R {
        state.withLock { s in
            let result = body(&s)
            passThrough.store(s.passesThrough, ordering: .releasing)
            return result
        }
    }

    private func push(_ fault: Fault, onto chain: inout Chain) {
        let below = chain.top ?? AnyShutdownableFlow(base: base)
        let layer: any FaultLayer
        switch fault {
        case .latency(let delay, let jitter, let seed):
            layer = LatencyFlow(below, latency: delay, jitter: jitter, seed: seed, clock: clock)
        case .bandwidth(let rate): layer = BandwidthFlow(below, bytesPerSecond: max(1, rate), clock: clock)
        case .slice(let bytes, let delay):
            layer = SliceFlow(below, pieceSize: max(1, bytes), delay: delay, clock: clock)
        case .limit(let bytes): layer = LimitFlow(below, limit: max(0, bytes))
        case .reset(let bytes):
            layer = ResetFlow(below, afterBytes: max(0, bytes)) { [weak self] in await self?.reset() }
        case .slowClose(let delay): layer = SlowCloseFlow(below, delay: delay, clock: clock)
        case .blackhole: return
        }
        chain.layers.insert(layer, at: 0)
        chain.top = AnyShutdownableFlow(base: layer)
    }

    /// Reads from the wrapped flow.
    /// - Throws: the reset or failure error once there was one.
    @inlinable
    public func read() async throws(FlowError) -> ReadResult {
        try checkFailure()
        let result = try await base.read()
        try checkFailure()
        return result
    }

    /// Throws the reset or failure error once there was one (one atomic load when the stack is
    /// empty and healthy).
    @inlinable
    func checkFailure() throws(FlowError) {
        if passThrough.load(ordering: .acquiring) { return }
        try throwFailure()
    }

    /// The slow part of ``checkFailure()``: throws the failure, if there is one.
    @usableFromInline
    func throwFailure() throws(FlowError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Writes `buffer` through the active faults.
    /// - Throws: the faults' errors (``WriteError/closed`` after a limit or a FIN, the reset
    ///   error), the wrapped flow's errors, "cancelled" for a writer cancelled at the blackhole.
    @inlinable
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        if passThrough.load(ordering: .acquiring) { return try await base.write(buffer) }
        try await writeThroughFaults(buffer)
    }

    /// The slow part of ``write(_:)``: the buffer goes through the chain of fault layers.
    @usableFromInline
    func writeThroughFaults(_ buffer: ByteBuffer) async throws(WriteError) {
        if let top = try await enter() {
            try await top.write(buffer)
        } else {
            try await base.write(buffer)
        }
    }

    /// Passes the FIN through the active faults; returns once it was passed on.
    public func shutdownWrite() async {
        if passThrough.load(ordering: .acquiring) { return await base.shutdownWrite() }
        do {
            if let top = try await enter() {
                await top.shutdownWrite()
                return
            }
        } catch {}
        await base.shutdownWrite()
    }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Passes the FIN on (see ``shutdownWrite()``), then closes the wrapped flow.
    public func close() async {
        await shutdownWrite()
        await base.close()
    }

    /// Waits at the blackhole, lets retired chains deliver what they hold, and returns the chain
    /// to write into (`nil`: the wrapped flow itself).
    private func enter() async throws(WriteError) -> AnyShutdownableFlow? {
        while true {
            let (failure, blackholed, retired, top) = state.withLock { s in
                (s.failure, s.blackholed, s.retired, s.chain.top)
            }
            if let failure { throw .failed(failure) }
            if blackholed {
                let woke = (try? await state.wait(until: { !$0.blackholed || $0.failure != nil })) != nil
                if !woke, state.withLock({ $0.failure == nil }) { throw .failed(FlowError("cancelled")) }
                continue
            }
            if retired.isEmpty { return top }
            for chain in retired {
                for layer in chain.layers { await layer.flush() }
            }
            let done = Set(retired.map(\.id))
            change { s in s.retired.removeAll { done.contains($0.id) } }
        }
    }
}

extension FaultStack where C == ContinuousClock {
    /// A stack over `base` starting with `faults`, timed by the system's clock.
    public convenience init(
        _ base: Base, faults: [Fault] = [], onReset: (@Sendable () async -> Void)? = nil
    ) {
        self.init(base, faults: faults, clock: ContinuousClock(), onReset: onReset)
    }
}

import FlowCore
import NIOCore
import Synchronization

/// A fault combinator: a FIN is held back for `delay` before it is passed on to the wrapped
/// flow, as a peer that lingers before closing.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// data written before the FIN passes at once, reads and ``shutdownRead()`` go straight to the
/// wrapped flow.
///
/// - ``shutdownWrite()`` returns once the FIN was passed on, `delay` after the first call (later
///   calls wait for the same FIN). Writes after it throw ``WriteError/closed`` at once, even
///   while the FIN is held. A cancelled caller passes the FIN on at once.
/// - ``close()`` is ``shutdownWrite()`` (with its delay) followed by the wrapped flow's `close()`.
public final class SlowCloseFlow<Base: ShutdownableFlow, C: Clock>: ShutdownableFlow, FaultLayer
where C.Duration == Duration {
    private struct State: Sendable {
        var shut = false
        var passed = false
    }

    /// The wrapped flow.
    public let base: Base
    /// How long a FIN is held.
    public let delay: Duration
    private let clock: C
    private let state = AsyncMonitor(State())

    /// Holds every FIN written to `base` for `delay`, timed by `clock`.
    public init(_ base: Base, delay: Duration, clock: C) {
        self.base = base
        self.delay = max(delay, .zero)
        self.clock = clock
    }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Writes to the wrapped flow.
    /// - Throws: ``WriteError/closed`` after ``shutdownWrite()``; the wrapped flow's errors.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        if state.withLock({ $0.shut }) { throw .closed }
        try await base.write(buffer)
    }

    /// Waits `delay`, then passes the FIN on.
    public func shutdownWrite() async {
        let first = state.withLock { s in
            defer { s.shut = true }
            return !s.shut
        }
        guard first else {
            _ = try? await state.wait(until: { $0.passed })
            return
        }
        try? await clock.sleep(until: clock.now.advanced(by: delay), tolerance: nil)
        await base.shutdownWrite()
        state.withLock { $0.passed = true }
    }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Passes the FIN on after the delay, then closes the wrapped flow.
    public func close() async {
        await shutdownWrite()
        await base.close()
    }

}

extension SlowCloseFlow where C == ContinuousClock {
    /// Holds every FIN written to `base` for `delay`, timed by the system's clock.
    public convenience init(_ base: Base, delay: Duration) {
        self.init(base, delay: delay, clock: ContinuousClock())
    }
}

import FlowCore
import NIOCore
import Synchronization

/// A fault combinator: the first `limit` bytes written pass, then the direction ends with a FIN
/// (``ShutdownableFlow/shutdownWrite()`` of the wrapped flow), as a connection cut after a
/// quota or a truncated transfer.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// reads and ``shutdownRead()`` go straight to the wrapped flow, so the other direction lives on.
///
/// - The write that reaches the limit delivers the bytes up to it, then the FIN is sent and
///   `onLimit` is called (once). If that write had more bytes than the limit allowed, the excess
///   is dropped and the write throws ``WriteError/closed``; a write that ends exactly on the
///   limit succeeds. Every later write throws ``WriteError/closed`` — the flow's write side is
///   shut, as after `shutdownWrite` — so a ``proxy(_:_:clock:)`` ends the direction there (a
///   copy sees a destination error and shuts its source's read side).
/// - A limit of 0 cuts at the first non-empty write. ``shutdownWrite()`` before the limit
///   passes the FIN on as usual.
/// - ``close()`` closes the wrapped flow.
public final class LimitFlow<Base: ShutdownableFlow>: ShutdownableFlow, FaultLayer {
    private struct State {
        var passed = 0
        var cut = false
    }

    /// The wrapped flow.
    public let base: Base
    /// The bytes let through before the FIN.
    public let limit: Int
    private let onLimit: @Sendable () async -> Void
    private let state = Mutex(State())

    /// Lets `limit` bytes written to `base` through, then sends FIN and calls `onLimit`.
    public init(_ base: Base, limit: Int, onLimit: @escaping @Sendable () async -> Void = {}) {
        precondition(limit >= 0, "a limit cannot be negative")
        self.base = base
        self.limit = limit
        self.onLimit = onLimit
    }

    /// The bytes let through so far.
    public var passedBytes: Int { state.withLock { $0.passed } }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Passes `buffer`, or the part of it up to the limit followed by the FIN.
    /// - Throws: ``WriteError/closed`` when bytes were dropped (this write crossed the limit, or
    ///   the limit was reached before); the wrapped flow's write errors.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        guard count > 0 else {
            if state.withLock({ $0.cut }) { throw .closed }
            return
        }
        let allowed: Int? = state.withLock { s in
            if s.cut { return nil }
            let allowed = min(count, limit - s.passed)
            s.passed += allowed
            if s.passed == limit { s.cut = true }
            return allowed
        }
        guard let allowed else { throw .closed }
        if allowed > 0 {
            try await base.write(buffer.getSlice(at: buffer.readerIndex, length: allowed)!)
        }
        if allowed < count || state.withLock({ $0.cut }) {
            await base.shutdownWrite()
            await onLimit()
        }
        if allowed < count { throw .closed }
    }

    /// Passes the FIN on (nothing happens if the limit already sent it).
    public func shutdownWrite() async { await base.shutdownWrite() }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Closes the wrapped flow.
    public func close() async { await base.close() }

}

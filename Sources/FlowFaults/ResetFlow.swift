import FlowCore
import NIOCore
import Synchronization

/// A fault combinator: after `afterBytes` bytes were written (or when ``reset()`` is called),
/// the connection is reset — both directions fail at once, as after a TCP RST.
///
/// Like every fault, it counts what is *written* (the data going towards the wrapped endpoint).
///
/// - The write that reaches the count delivers the bytes up to it, then the reset happens and
///   the write throws ``WriteError/failed(_:)`` with ``resetError`` (even when no byte was
///   dropped: the connection is gone). `afterBytes` 0 resets at the first non-empty write;
///   `nil` only on demand.
/// - A reset calls `onReset` once: that is where a real transport is reset (the inspector
///   resets both sockets of the session). Without `onReset`, the wrapped flow is shut both
///   ways, so a peer on a ``Pipe`` reads end-of-file and its writes fail.
/// - After a reset, every read throws ``resetError`` (a read waiting in the wrapped flow throws
///   it once the wrapped flow returns), every write throws it as ``WriteError/failed(_:)``,
///   and ``shutdownWrite()``, ``shutdownRead()`` and ``close()`` do nothing more.
public final class ResetFlow<Base: ShutdownableFlow>: ShutdownableFlow, FaultLayer {
    private struct State {
        var written = 0
        var reset = false
    }

    /// The error of every read and write after the reset: "connection reset by fault".
    public static var resetError: FlowError { FlowError("connection reset by fault") }

    /// The wrapped flow.
    public let base: Base
    /// The bytes let through before the reset; `nil` for a reset on demand only.
    public let afterBytes: Int?
    private let onReset: (@Sendable () async -> Void)?
    private let state = Mutex(State())

    /// Resets after `afterBytes` bytes written to `base` (never by itself when `nil`), calling
    /// `onReset` (default: shut `base` both ways).
    public init(_ base: Base, afterBytes: Int? = nil, onReset: (@Sendable () async -> Void)? = nil) {
        precondition((afterBytes ?? 0) >= 0, "a count cannot be negative")
        self.base = base
        self.afterBytes = afterBytes
        self.onReset = onReset
    }

    /// True once the reset happened.
    public var isReset: Bool { state.withLock { $0.reset } }

    /// Reads from the wrapped flow.
    /// - Throws: ``resetError`` after the reset.
    public func read() async throws(FlowError) -> ReadResult {
        if isReset { throw Self.resetError }
        let result = try await base.read()
        if isReset { throw Self.resetError }
        return result
    }

    /// Passes `buffer`, or the part of it up to the count followed by the reset.
    /// - Throws: ``resetError`` (as `.failed`) once reset; the wrapped flow's write errors.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        let allowed: Int? = state.withLock { s in
            if s.reset { return nil }
            guard let afterBytes, count > 0 else { return count }
            let allowed = min(count, afterBytes - s.written)
            s.written += allowed
            return allowed
        }
        guard let allowed else { throw .failed(Self.resetError) }
        if allowed > 0 { try await base.write(buffer.getSlice(at: buffer.readerIndex, length: allowed)!) }
        if let afterBytes, count > 0, state.withLock({ $0.written }) >= afterBytes {
            await reset()
            throw .failed(Self.resetError)
        }
    }

    /// Resets now: later reads and writes fail, and `onReset` is called (the first time only).
    public func reset() async {
        let first = state.withLock { s in
            defer { s.reset = true }
            return !s.reset
        }
        guard first else { return }
        if let onReset {
            await onReset()
        } else {
            await base.shutdownRead()
            await base.shutdownWrite()
        }
    }

    /// Passes the FIN on, unless reset.
    public func shutdownWrite() async {
        if !isReset { await base.shutdownWrite() }
    }

    /// Stops reading the wrapped flow, unless reset.
    public func shutdownRead() async {
        if !isReset { await base.shutdownRead() }
    }

    /// Closes the wrapped flow, unless reset.
    public func close() async {
        if !isReset { await base.close() }
    }

}

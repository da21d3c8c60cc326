import FlowCore
import NIOCore
import Synchronization

/// A fault combinator: every chunk written is cut into pieces of at most `pieceSize` bytes, each
/// written to the wrapped flow on its own, optionally at least `delay` after the previous piece.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// reads and ``shutdownRead()`` go straight to the wrapped flow. With `pieceSize` 1, a request
/// arrives byte by byte: the way to check that a peer's parser copes with any segmentation.
///
/// - Order is kept and nothing is lost; the writer is held until its last piece was written.
/// - With a `delay`, each piece is written at least `delay` after the previous one, across
///   writes too (the first piece ever goes at once), so the pieces form a steady trickle.
/// - A FIN (``shutdownWrite()``) follows the last piece at once.
/// - Errors: the wrapped flow's write errors are thrown as they are; a cancelled writer throws
///   ``WriteError/failed(_:)`` "cancelled".
/// - ``close()`` closes the wrapped flow.
public final class SliceFlow<Base: ShutdownableFlow, C: Clock>: ShutdownableFlow, FaultLayer
where C.Duration == Duration {
    /// The wrapped flow.
    public let base: Base
    /// The largest piece written at once.
    public let pieceSize: Int
    /// The least time between two pieces.
    public let delay: Duration
    private let clock: C
    private let lastPiece = Mutex<C.Instant?>(nil)

    /// Cuts what is written to `base` into pieces of `pieceSize` bytes (at least 1), `delay`
    /// apart, timed by `clock`.
    public init(_ base: Base, pieceSize: Int, delay: Duration = .zero, clock: C) {
        precondition(pieceSize > 0, "pieces of at least one byte")
        self.base = base
        self.pieceSize = pieceSize
        self.delay = max(delay, .zero)
        self.clock = clock
    }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Writes `buffer` piece by piece; returns once the last piece was written.
    /// - Throws: the wrapped flow's write errors; "cancelled" when the task is cancelled.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        var rest = buffer
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(pieceSize, rest.readableBytes))!
            guard delay > .zero else {
                try await base.write(piece)
                continue
            }
            // Each piece is due `delay` after the previous one was due (not after it was
            // written), so a clock that wakes the writer late causes no drift.
            let now = clock.now
            var due = now
            if let last = lastPiece.withLock({ $0 }), last.advanced(by: delay) > now {
                due = last.advanced(by: delay)
                do {
                    try await clock.sleep(until: due, tolerance: nil)
                } catch {
                    throw .failed(FlowError("cancelled"))
                }
            }
            try await base.write(piece)
            lastPiece.withLock { $0 = due }
        }
    }

    /// Passes the FIN on (every piece was written already).
    public func shutdownWrite() async { await base.shutdownWrite() }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Closes the wrapped flow.
    public func close() async { await base.close() }

}

extension SliceFlow where C == ContinuousClock {
    /// Cuts what is written to `base` into pieces of `pieceSize` bytes, `delay` apart, timed by
    /// the system's clock.
    public convenience init(_ base: Base, pieceSize: Int, delay: Duration = .zero) {
        self.init(base, pieceSize: pieceSize, delay: delay, clock: ContinuousClock())
    }
}

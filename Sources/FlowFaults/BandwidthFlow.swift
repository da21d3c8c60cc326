import FlowCore
import NIOCore
import Synchronization

/// A fault combinator: what is written reaches the wrapped flow at no more than `bytesPerSecond`,
/// smoothly — cut into pieces of about a hundredth of a second's worth, each delivered when its
/// last byte would have crossed a link of that rate.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// reads and ``shutdownRead()`` go straight to the wrapped flow.
///
/// - A piece of `n` bytes is written `n / bytesPerSecond` after the previous piece (or after the
///   write started, when the link was idle for more than 10 ms), so `N` bytes sent back to back
///   take exactly `N / bytesPerSecond`, even when the clock wakes the writer a little late.
///   Pieces are at most ``pieceSize`` bytes: `bytesPerSecond / 100`, at
///   least 1 byte and at most 64 KiB.
/// - The writer is held while its chunk is paced (the rate is the point); order is kept and
///   nothing is lost. A FIN (``shutdownWrite()``) follows the last piece at once.
/// - Errors: the wrapped flow's write errors are thrown as they are; a cancelled writer throws
///   ``WriteError/failed(_:)`` "cancelled" (pieces already delivered stay delivered).
/// - ``close()`` closes the wrapped flow.
public final class BandwidthFlow<Base: ShutdownableFlow, C: Clock>: ShutdownableFlow, FaultLayer
where C.Duration == Duration {
    private struct Schedule: Sendable {
        /// The start of the current busy period, and the bytes delivered in it.
        var epoch: C.Instant?
        var sent = 0
    }

    /// The wrapped flow.
    public let base: Base
    /// The rate, in bytes per second.
    public let bytesPerSecond: Int
    /// The largest piece delivered at once.
    public let pieceSize: Int
    private let clock: C
    private let schedule = Mutex(Schedule())

    /// Limits what is written to `base` to `bytesPerSecond` (at least 1; rates above 8 GiB/s count
    /// as 8 GiB/s), timed by `clock`.
    public init(_ base: Base, bytesPerSecond: Int, clock: C) {
        precondition(bytesPerSecond > 0, "a rate of at least 1 byte per second")
        self.base = base
        self.bytesPerSecond = min(bytesPerSecond, 1 << 33)
        self.pieceSize = max(1, min(bytesPerSecond / 100, 64 << 10))
        self.clock = clock
    }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Delivers `buffer` in paced pieces; returns once the last piece was written.
    /// - Throws: the wrapped flow's write errors; "cancelled" when the task is cancelled.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        var rest = buffer
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(pieceSize, rest.readableBytes))!
            let now = clock.now
            let due = schedule.withLock { s -> C.Instant in
                if s.epoch == nil || s.epoch!.advanced(by: offset(s.sent) + Self.idleGrace) < now {
                    s.epoch = now
                    s.sent = 0
                }
                s.sent += piece.readableBytes
                return s.epoch!.advanced(by: offset(s.sent))
            }
            do {
                try await clock.sleep(until: due, tolerance: nil)
            } catch {
                throw .failed(FlowError("cancelled"))
            }
            try await base.write(piece)
        }
    }

    /// How late a writer may come after the previous piece's time and still keep the schedule
    /// (so that a sleep waking a little late costs no throughput); later, the link counts as
    /// having been idle and the schedule starts afresh.
    private static var idleGrace: Duration { .milliseconds(10) }

    /// The time `bytes` take at the rate.
    private func offset(_ bytes: Int) -> Duration {
        let seconds = bytes / bytesPerSecond
        let remainder = bytes % bytesPerSecond
        return .seconds(seconds) + .nanoseconds(Int64(remainder) * 1_000_000_000 / Int64(bytesPerSecond))
    }

    /// Passes the FIN on (every written piece was delivered already).
    public func shutdownWrite() async { await base.shutdownWrite() }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Closes the wrapped flow.
    public func close() async { await base.close() }

}

extension BandwidthFlow where C == ContinuousClock {
    /// Limits what is written to `base` to `bytesPerSecond`, timed by the system's clock.
    public convenience init(_ base: Base, bytesPerSecond: Int) {
        self.init(base, bytesPerSecond: bytesPerSecond, clock: ContinuousClock())
    }
}

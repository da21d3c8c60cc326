import FlowCore
import FlowEvents
import NIOCore

/// The flow under a direction's faults, right above its socket: it tells the session's
/// recorder when bytes really leave, so `data` events (and the capture's packets) carry the time
/// the bytes were written to the destination — after a latency fault's delay, a bandwidth
/// fault's pacing — rather than the time they entered the faults.
///
/// Every call goes straight to `base`; a write first reports the chunks whose first byte it
/// carries (``SessionRecorder/departed(_:bytes:)``), then writes. Without faults that is at once,
/// in the writer's own task, so the order and the times are what the tap would have reported.
struct DepartureStamp<Base: ShutdownableFlow>: ShutdownableFlow {
    let base: Base
    let direction: Direction
    let recorder: SessionRecorder

    /// Wraps `base`, the destination of `direction` (the server's socket for `c2s`), for
    /// `session`, whose chunks of that direction are then reported when they reach `base`.
    init(_ base: Base, writing direction: Direction, for session: Session) {
        self.base = base
        self.direction = direction
        self.recorder = session.recorder
        recorder.stampBelow(direction)
    }

    func read() async throws(FlowError) -> ReadResult { try await base.read() }

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        recorder.departed(direction, bytes: buffer.readableBytes)
        try await base.write(buffer)
    }

    func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        recorder.departed(direction, bytes: buffers.reduce(0) { $0 + $1.readableBytes })
        try await base.writev(buffers)
    }

    func shutdownWrite() async { await base.shutdownWrite() }
    func shutdownRead() async { await base.shutdownRead() }
    func close() async { await base.close() }
}

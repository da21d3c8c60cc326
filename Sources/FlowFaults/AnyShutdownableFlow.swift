import FlowCore
import NIOCore

/// A type-erased ``ShutdownableFlow``: how a ``FaultStack`` chains combinators of any type.
struct AnyShutdownableFlow: ShutdownableFlow {
    let base: any ShutdownableFlow

    func read() async throws(FlowError) -> ReadResult { try await base.read() }
    func write(_ buffer: ByteBuffer) async throws(WriteError) { try await base.write(buffer) }
    func writev(_ buffers: [ByteBuffer]) async throws(WriteError) { try await base.writev(buffers) }
    func close() async { await base.close() }
    func shutdownWrite() async { await base.shutdownWrite() }
    func shutdownRead() async { await base.shutdownRead() }
}

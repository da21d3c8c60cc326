import FlowCore
import NIOCore

/// An endpoint whose reads come back rewritten by ``RewriteRule``s: the flow under a session's
/// ``Tap`` when `--rewrite` is given, so that what the tap reports, the capture records and the
/// proxy forwards is the rewritten chunk. It has no loop of its own: each ``read()`` is the
/// proxy's read.
///
/// Each chunk read is rewritten whole (patterns are not matched across chunks); when at least one
/// substitution applied, `report` is called with the count, the original chunk and the rewritten
/// one before the chunk is returned. A chunk rewritten to nothing is not returned: the next chunk
/// is read instead (a read returns at least one byte). Writes, shutdowns and close go to the base
/// unchanged.
public struct RewritingFlow<Base: ShutdownableFlow>: ShutdownableFlow {
    /// The real endpoint.
    public let base: Base
    /// The rules that apply to this endpoint's reads, in order.
    public let rules: [RewriteRule]
    private let report: @Sendable (_ count: Int, _ original: ByteBuffer, _ rewritten: ByteBuffer) -> Void

    /// Rewrites the reads of `base` with `rules` (all of them apply; pick the direction's rules
    /// first), calling `report` for every chunk changed.
    public init(
        _ base: Base, rules: [RewriteRule],
        report: @escaping @Sendable (_ count: Int, _ original: ByteBuffer, _ rewritten: ByteBuffer) -> Void
    ) {
        self.base = base
        self.rules = rules
        self.report = report
    }

    /// The base's next chunk, rewritten; end-of-file and errors as the base gives them.
    public func read() async throws(FlowError) -> ReadResult {
        while true {
            let result = try await base.read()
            guard case .data(let chunk) = result else { return result }
            var bytes = Array(chunk.readableBytesView)
            var total = 0
            for rule in rules {
                let (rewritten, count) = rule.apply(to: bytes)
                bytes = rewritten
                total += count
            }
            guard total > 0 else { return result }
            let rewritten = ByteBuffer(bytes: bytes)
            report(total, chunk, rewritten)
            if !bytes.isEmpty { return .data(rewritten) }
        }
    }

    /// Writes to the base.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) { try await base.write(buffer) }

    /// Writes to the base.
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) { try await base.writev(buffers) }

    /// Sends FIN to the base.
    public func shutdownWrite() async { await base.shutdownWrite() }

    /// Stops reading the base.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Closes the base.
    public func close() async { await base.close() }
}

import NIOCore

/// A type-erased, named flow: mirage-flow's first-class `Mirage_flow_lwt.t`, made with
/// `create (module M) t name`.
///
/// Every call goes to the wrapped flow unchanged, so its contract (end-of-file, errors, close)
/// is the wrapped flow's. ``description`` is the name (mirage-flow's `pp`), which is how
/// ``forward(from:to:verbose:)`` names flows in its log messages.
public struct AnyFlow: Flow, CustomStringConvertible {
    /// The name given at creation.
    public let name: String
    /// The wrapped flow.
    public let base: any Flow

    /// Wraps `flow` under `name`.
    public init(name: String, _ flow: some Flow) {
        self.name = name
        self.base = flow
    }

    /// The name given at creation.
    public var description: String { name }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }
    /// Writes to the wrapped flow.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) { try await base.write(buffer) }
    /// Writes several buffers to the wrapped flow.
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        try await base.writev(buffers)
    }
    /// Closes the wrapped flow.
    public func close() async { await base.close() }
}

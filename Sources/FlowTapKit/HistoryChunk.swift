import NIOCore

/// One chunk kept for display: where it starts in its direction, when it was read, its bytes.
public struct HistoryChunk: Sendable, Equatable {
    /// The direction's byte offset of the chunk's first byte.
    public var offset: Int
    /// When it was read, in nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// The bytes, as read.
    public var bytes: ByteBuffer

    /// Makes a chunk record.
    public init(offset: Int, timestamp: UInt64, bytes: ByteBuffer) {
        self.offset = offset
        self.timestamp = timestamp
        self.bytes = bytes
    }
}

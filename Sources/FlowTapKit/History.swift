import NIOCore

/// The bytes of one direction kept for display, bounded: once more than ``limit`` bytes are
/// kept, the oldest chunks are dropped (from display only: counters and captures keep
/// everything). The newest chunk is always kept, however large.
public struct History: Sendable {
    /// The most bytes kept (16 MiB unless set).
    public let limit: Int
    /// The chunks kept, oldest first, with their boundaries and timestamps.
    public private(set) var chunks: [HistoryChunk] = []
    /// Bytes in ``chunks``.
    public private(set) var keptBytes = 0
    /// Bytes dropped from the front so far.
    public private(set) var droppedBytes = 0
    private var head = 0

    /// The default limit: 16 MiB.
    public static let defaultLimit = 16 << 20

    /// An empty history holding at most `limit` bytes.
    public init(limit: Int = History.defaultLimit) { self.limit = max(0, limit) }

    /// Appends a chunk and drops the oldest ones while over the limit.
    public mutating func append(_ chunk: HistoryChunk) {
        chunks.append(chunk)
        keptBytes += chunk.bytes.readableBytes
        while keptBytes > limit && chunks.count - head > 1 {
            let old = chunks[head]
            keptBytes -= old.bytes.readableBytes
            droppedBytes += old.bytes.readableBytes
            head += 1
        }
        // Compact once the dropped prefix is as large as what is kept.
        if head > 64 && head * 2 >= chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }

    /// Drops every chunk kept (counted in ``droppedBytes``); used when a global budget is spent.
    public mutating func dropAll() {
        droppedBytes += keptBytes
        keptBytes = 0
        chunks.removeAll()
        head = 0
    }

    /// The chunks kept, oldest first.
    public var kept: ArraySlice<HistoryChunk> { chunks[head...] }
}

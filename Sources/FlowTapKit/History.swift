import NIOCore

/// The bytes of one direction kept for display, bounded: once more than ``limit`` bytes, or more
/// than ``chunkLimit`` chunks, are kept, the oldest chunks are dropped (from display only:
/// counters and captures keep everything). The newest chunk is always kept, however large.
///
/// The chunk bound is what keeps many tiny chunks (a byte at a time) from costing far more than
/// the limit: each kept chunk also costs its record and its buffer's allocation, about
/// ``chunkOverhead`` bytes, so at most one chunk is kept per ``chunkOverhead`` bytes of the limit
/// (at least ``minimumChunkLimit``), and ``footprint`` counts both.
public struct History: Sendable {
    /// The most bytes kept (16 MiB unless set).
    public let limit: Int
    /// The most chunks kept: `limit / chunkOverhead`, at least ``minimumChunkLimit``.
    public let chunkLimit: Int
    /// The chunks kept, oldest first, with their boundaries and timestamps.
    public private(set) var chunks: [HistoryChunk] = []
    /// Bytes in ``chunks``.
    public private(set) var keptBytes = 0
    /// Bytes dropped from the front so far.
    public private(set) var droppedBytes = 0
    private var head = 0

    /// The default limit: 16 MiB.
    public static let defaultLimit = 16 << 20

    /// What a kept chunk costs besides its bytes, as counted here: its record and its buffer's
    /// header and allocation (an estimate).
    public static let chunkOverhead = 128

    /// The fewest chunks a history may keep, however small its limit.
    public static let minimumChunkLimit = 64

    /// An empty history holding at most `limit` bytes.
    public init(limit: Int = History.defaultLimit) {
        self.limit = max(0, limit)
        chunkLimit = max(History.minimumChunkLimit, self.limit / History.chunkOverhead)
    }

    /// The memory the kept chunks stand for, as counted here: their bytes, plus
    /// ``chunkOverhead`` for each.
    public var footprint: Int { keptBytes + (chunks.count - head) * History.chunkOverhead }

    /// Appends a chunk and drops the oldest ones while over the limit.
    public mutating func append(_ chunk: HistoryChunk) {
        chunks.append(chunk)
        keptBytes += chunk.bytes.readableBytes
        while (keptBytes > limit || chunks.count - head > chunkLimit) && chunks.count - head > 1 {
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

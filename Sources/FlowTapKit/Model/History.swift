import NIOCore

/// The bytes of one direction kept for display, bounded: the first half of ``limit`` (the
/// head: a request line, an answer's headers) and the newest half (the tail) are kept, and the
/// middle is cut, oldest first (from display only: counters and captures keep everything).
/// Whatever was cut is named by ``cut``, so the UI can say so where it was. The newest chunk is
/// always kept, however large.
///
/// Memory stays bounded whatever the chunk sizes: each kept chunk also costs its record and its
/// buffer's allocation, about ``chunkOverhead`` bytes, so at most ``chunkLimit`` chunks are kept
/// (one per ``chunkOverhead`` bytes of the limit, at least ``minimumChunkLimit``), half of them
/// in the head, and ``footprint`` counts both; a small chunk that keeps a large buffer alive (a
/// one-byte read out of a 64 KiB receive buffer) is copied into one of its own size.
public struct History: Sendable {
    /// The most bytes kept, head and tail together (16 MiB unless set).
    public let limit: Int
    /// The most chunks kept, head and tail together: `limit / chunkOverhead`, at least
    /// ``minimumChunkLimit``.
    public let chunkLimit: Int
    /// The head: the first chunks, up to half the limit; it never changes once full.
    private var head: [HistoryChunk] = []
    private var headBytes = 0
    private var headFull = false
    /// The tail: the newest chunks, from `tailStart` on.
    private var tail: [HistoryChunk] = []
    private var tailStart = 0
    private var tailBytes = 0
    /// Bytes in the kept chunks.
    public private(set) var keptBytes = 0
    /// Bytes of chunks cut so far (the middle, or everything after ``dropAll()``).
    public private(set) var droppedBytes = 0
    /// The byte offsets of the direction not kept (from the end of the head to the start of the
    /// tail), or `nil` when nothing was cut.
    public private(set) var cut: Range<Int>?

    /// The default limit: 16 MiB.
    public static let defaultLimit = 16 << 20
    /// What a kept chunk costs besides its bytes, as counted here: its record and its buffer's
    /// header and allocation (an estimate).
    public static let chunkOverhead = 128
    /// The fewest chunks a history may keep, however small its limit.
    public static let minimumChunkLimit = 64

    /// An empty history holding at most `limit` bytes (and ``chunkLimit`` chunks).
    public init(limit: Int = History.defaultLimit) {
        self.limit = max(0, limit)
        chunkLimit = max(History.minimumChunkLimit, self.limit / History.chunkOverhead)
    }

    /// The memory the kept chunks stand for, as counted here: their bytes, plus
    /// ``chunkOverhead`` for each.
    public var footprint: Int { keptBytes + (head.count + tail.count - tailStart) * History.chunkOverhead }

    /// The chunk records held in memory (kept, or cut and not compacted away yet): at most about
    /// twice the kept ones.
    public var storedChunks: Int { head.count + tail.count }

    /// Appends a chunk: to the head while it has room, else to the tail, cutting the tail's
    /// oldest chunks while over the limit.
    public mutating func append(_ chunk: HistoryChunk) {
        var chunk = chunk
        let size = chunk.bytes.readableBytes
        if chunk.bytes.storageCapacity > 2 * size + 4096 {
            chunk.bytes = ByteBuffer(bytes: chunk.bytes.readableBytesView)
        }
        keptBytes += size
        if !headFull && tail.isEmpty && headBytes + size <= limit / 2 && head.count < chunkLimit / 2 {
            head.append(chunk)
            headBytes += size
            return
        }
        headFull = true
        tail.append(chunk)
        tailBytes += size
        while (tailBytes > limit - headBytes || tail.count - tailStart > chunkLimit - head.count)
            && tail.count - tailStart > 1
        {
            let old = tail[tailStart]
            let count = old.bytes.readableBytes
            tailBytes -= count
            keptBytes -= count
            droppedBytes += count
            tailStart += 1
            let end = old.offset + (old.kind.sent ? count : 0)
            cut = (cut?.lowerBound ?? old.offset)..<max(cut?.upperBound ?? end, end)
        }
        // Compact once the cut prefix of the tail is as large as what is kept.
        if tailStart > 64 && tailStart * 2 >= tail.count {
            tail.removeFirst(tailStart)
            tailStart = 0
        }
    }

    /// Notes bytes `from..<to` that the source's record does not have (a `gap` event of a
    /// capture): they are part of ``cut``.
    public mutating func noteGap(from: Int, to: Int) {
        guard from < to else { return }
        droppedBytes += to - from
        cut = min(cut?.lowerBound ?? from, from)..<max(cut?.upperBound ?? to, to)
        headFull = true
    }

    /// Drops every chunk kept (counted in ``droppedBytes``); used when a global budget is spent.
    public mutating func dropAll() {
        droppedBytes += keptBytes
        if let first = kept.first, let last = kept.last {
            let end = last.offset + (last.kind.sent ? last.bytes.readableBytes : 0)
            cut = min(cut?.lowerBound ?? first.offset, first.offset)..<max(cut?.upperBound ?? end, end)
        }
        keptBytes = 0
        head = []
        headBytes = 0
        headFull = true
        tail = []
        tailStart = 0
        tailBytes = 0
    }

    /// The chunks kept, oldest first: the head, then the tail.
    public var kept: [HistoryChunk] { head + tail[tailStart...] }
}

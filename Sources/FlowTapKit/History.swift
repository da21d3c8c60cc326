import NIOCore

/// The bytes of one direction kept for display, bounded: the first half of ``limit`` (the
/// head: a request line, an answer's headers) and the newest half (the tail) are kept, and the
/// middle is cut, oldest first (from display only: counters and captures keep everything).
/// Whatever was cut is named by ``cut``, so the UI can say so where it was. The newest chunk is
/// always kept, however large.
///
/// Memory stays bounded whatever the chunk sizes: each half holds at most ``maxChunks`` chunks,
/// and a small chunk that keeps a large buffer alive (a one-byte read out of a 64 KiB receive
/// buffer) is copied into one of its own size.
public struct History: Sendable {
    /// The most bytes kept, head and tail together (16 MiB unless set).
    public let limit: Int
    /// The most chunks kept in the head, and again in the tail.
    public let maxChunks: Int
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
    /// The default number of chunks a half holds.
    public static let defaultMaxChunks = 65_536

    /// An empty history holding at most `limit` bytes in at most `2 × maxChunks` chunks.
    public init(limit: Int = History.defaultLimit, maxChunks: Int = History.defaultMaxChunks) {
        self.limit = max(0, limit)
        self.maxChunks = max(1, maxChunks)
    }

    /// Appends a chunk: to the head while it has room, else to the tail, cutting the tail's
    /// oldest chunks while over the limit.
    public mutating func append(_ chunk: HistoryChunk) {
        var chunk = chunk
        let size = chunk.bytes.readableBytes
        if chunk.bytes.storageCapacity > 2 * size + 4096 {
            chunk.bytes = ByteBuffer(bytes: chunk.bytes.readableBytesView)
        }
        keptBytes += size
        if !headFull && tail.isEmpty && headBytes + size <= limit / 2 && head.count < maxChunks {
            head.append(chunk)
            headBytes += size
            return
        }
        headFull = true
        tail.append(chunk)
        tailBytes += size
        while (tailBytes > limit - headBytes || tail.count - tailStart > maxChunks) && tail.count - tailStart > 1 {
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

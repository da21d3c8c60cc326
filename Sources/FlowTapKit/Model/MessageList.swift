import FlowEvents

/// The messages of one session kept for display, oldest first, bounded: the newest ``limit``
/// are kept and the older ones are cut (counted in ``cutCount``; counters and captures keep
/// everything).
///
/// Stored in blocks of ``blockSize`` records, so appending is O(1), cutting the oldest is
/// O(1) amortized, and a copy (a snapshot for the UI) shares the blocks: only the newest block
/// is copied when the model appends after a snapshot took it.
public struct MessageList: RandomAccessCollection, Sendable {
    /// The most messages kept (10,000 unless set).
    public let limit: Int
    /// Records per storage block.
    public static let blockSize = 512
    /// The default ``limit``.
    public static let defaultLimit = 10_000

    private var blocks: [[MessageRecord]] = []
    /// Records of the first block already cut.
    private var skip = 0
    /// Messages kept.
    public private(set) var count = 0
    /// Messages seen and not kept (the oldest).
    public private(set) var cutCount = 0

    /// An empty list keeping at most `limit` messages (at least 0).
    public init(limit: Int = MessageList.defaultLimit) {
        self.limit = Swift.max(0, limit)
    }

    /// Every message seen: kept and cut.
    public var total: Int { count + cutCount }

    /// The first position (0).
    public var startIndex: Int { 0 }
    /// One past the last kept message (``count``).
    public var endIndex: Int { count }

    /// The kept message at `position` (0 is the oldest kept).
    public subscript(position: Int) -> MessageRecord {
        precondition(position >= 0 && position < count, "message position out of range")
        let at = position + skip
        return blocks[at / Self.blockSize][at % Self.blockSize]
    }

    /// Appends a message, cutting the oldest while more than ``limit`` are kept.
    public mutating func append(_ record: MessageRecord) {
        guard limit > 0 else {
            cutCount += 1
            return
        }
        if blocks.isEmpty || blocks[blocks.count - 1].count == Self.blockSize {
            var block: [MessageRecord] = []
            block.reserveCapacity(Self.blockSize)
            blocks.append(block)
        }
        blocks[blocks.count - 1].append(record)
        count += 1
        while count > limit {
            skip += 1
            count -= 1
            cutCount += 1
            if skip == Self.blockSize {
                blocks.removeFirst()
                skip = 0
            }
        }
    }

    /// Cuts every kept message (counted in ``cutCount``); used when the model's budget is spent.
    public mutating func cutAll() {
        cutCount += count
        count = 0
        skip = 0
        blocks = []
    }

    /// The position of the kept message of `direction` numbered `index`, if it is kept. A
    /// scan from the newest end: O(kept), for one lookup a frame.
    public func position(of direction: Direction, index: Int) -> Int? {
        var p = count - 1
        while p >= 0 {
            let record = self[p]
            if record.direction == direction {
                if record.index == index { return p }
                if record.index < index { return nil }
            }
            p -= 1
        }
        return nil
    }
}

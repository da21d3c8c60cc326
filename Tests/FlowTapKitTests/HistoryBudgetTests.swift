import FlowCapture
import FlowEvents
import FlowTapKit
import NIOCore
import TestSupport
import Testing

@Suite("History and the model's budget under many tiny chunks", .busyThreads)
struct HistoryBudgetTests {
    @Test(
        "200,000 one-byte chunks: the history keeps the first and the newest, within its limit in bytes and in chunks"
    )
    func oneByteChunks() {
        var history = History(limit: 64 * 1024)
        let count = 200_000
        for index in 0..<count {
            history.append(
                HistoryChunk(
                    offset: index, timestamp: UInt64(index),
                    bytes: ByteBuffer(bytes: [UInt8(truncatingIfNeeded: index)])))
        }
        // One chunk per chunkOverhead bytes of the limit: the records cost no more than the limit.
        #expect(history.chunkLimit == 64 * 1024 / History.chunkOverhead)
        #expect(history.kept.count == history.chunkLimit)
        #expect(history.keptBytes <= history.limit)
        #expect(history.footprint <= 2 * history.limit)
        // What is kept is the first half (the head) and the newest half, in order; the middle is
        // cut, counted as dropped, and named.
        let half = history.chunkLimit / 2
        #expect(history.kept.map(\.offset) == Array(0..<half) + Array((count - half)..<count))
        #expect(history.keptBytes + history.droppedBytes == count)
        #expect(history.cut == half..<(count - half))
        // The storage behind it is compacted: the cut part never grows past what is kept.
        #expect(history.storedChunks <= 2 * history.kept.count + 64)
    }

    @Test("a small limit keeps its byte bound with chunks of any size")
    func smallLimit() {
        var history = History(limit: 40)
        for index in 0..<4 {
            history.append(
                HistoryChunk(offset: index * 20, timestamp: 0, bytes: ByteBuffer(repeating: 1, count: 20)))
        }
        #expect(history.kept.map(\.offset) == [0, 60])
        #expect(history.chunkLimit == History.minimumChunkLimit)
    }

    @Test("many sessions of one-byte chunks: the model's histories together stay within its budget")
    func modelBudget() {
        let limit = 16 * 1024
        let model = InspectorModel(target: "t", historyLimit: limit)
        let client = PeerAddress.ip(host: "127.0.0.1", port: 5000)
        let target = PeerAddress.ip(host: "127.0.0.1", port: 6379)
        let sessions = 12
        let chunks = 2_000
        for id in 1...sessions {
            model.record(SessionEvent(conn: id, .open(client: client, target: target)))
            for index in 0..<chunks {
                let direction: Direction = index % 2 == 0 ? .c2s : .s2c
                model.record(
                    SessionEvent(
                        conn: id, .data(direction, offset: index / 2, bytes: ByteBuffer(bytes: [0x61]))))
            }
        }
        let snapshot = model.snapshot()
        var keptChunks = 0
        var keptBytes = 0
        for session in snapshot.sessions {
            for direction in Direction.allCases {
                keptChunks += session[direction].history.count
                keptBytes += session[direction].history.reduce(0) { $0 + $1.bytes.readableBytes }
                // Counters keep counting everything.
                #expect(session[direction].chunks == chunks / 2)
            }
        }
        #expect(keptBytes + keptChunks * History.chunkOverhead <= model.historyBudget)
        #expect(keptChunks <= model.historyBudget / History.chunkOverhead)
        // The newest session keeps its history; the oldest ones gave theirs up.
        #expect(snapshot.sessions.last?.c2s.history.count == History(limit: limit).chunkLimit)
        #expect(snapshot.sessions.first?.c2s.history.isEmpty == true)
    }
}

import FlowCore
import FlowEvents
import FlowTapKit
import NIOCore
import Testing

@Suite("InspectorModel: decoded messages, pairing, bounds")
struct MessageModelTests {
    static let client = PeerAddress.ip(host: "127.0.0.1", port: 5000)
    static let target = PeerAddress.ip(host: "127.0.0.1", port: 6379)

    static func message(
        _ index: Int, _ offset: Int, _ bytes: Int, _ summary: String, request: Int? = nil,
        latency: UInt64? = nil, truncated: Bool = false
    ) -> DecodedMessage {
        DecodedMessage(
            proto: "resp", index: index, offset: offset, bytes: bytes, summary: summary, request: request,
            latency: latency, truncated: truncated)
    }

    static func model(messageLimit: Int = MessageList.defaultLimit, messageBudget: Int? = nil)
        -> InspectorModel
    {
        InspectorModel(target: "t", messageLimit: messageLimit, messageBudget: messageBudget)
    }

    func open(_ model: InspectorModel, _ id: Int) {
        model.record(SessionEvent(conn: id, .open(client: Self.client, target: Self.target), time: 1))
    }

    @Test("decoder, message and decode_error events become the session's list, counts and errors")
    func eventsInListOut() {
        let model = Self.model()
        open(model, 1)
        model.record(SessionEvent(conn: 1, .decoder("resp"), time: 2))
        model.record(SessionEvent(conn: 1, .message(.c2s, Self.message(0, 0, 27, "SET k v")), time: 10))
        model.record(SessionEvent(conn: 1, .message(.c2s, Self.message(1, 27, 20, "GET k")), time: 11))
        model.record(
            SessionEvent(
                conn: 1, .message(.s2c, Self.message(0, 0, 5, "+OK", request: 0, latency: 400_000)), time: 12)
        )
        model.record(
            SessionEvent(
                conn: 1, .message(.s2c, Self.message(1, 5, 7, "$1 v", request: 1, truncated: true)), time: 13)
        )
        model.record(
            SessionEvent(
                conn: 1, .decodeError(.s2c, proto: "resp", offset: 12, error: "bad type byte"), time: 14))
        model.record(
            SessionEvent(conn: 1, .decodeError(.s2c, proto: "resp", offset: 40, error: "later one"), time: 15)
        )
        let session = model.snapshot().sessions[0]
        #expect(session.decoder == "resp")
        #expect(session.messages.count == 4 && session.messages.cutCount == 0)
        #expect(session.messages.map(\.summary) == ["SET k v", "GET k", "+OK", "$1 v"])
        #expect(session.messages.map(\.direction) == [.c2s, .c2s, .s2c, .s2c])
        let ok = session.messages[2]
        #expect(ok.index == 0 && ok.offset == 0 && ok.bytes == 5 && ok.request == 0 && ok.latency == 400_000)
        #expect(ok.time == 12 && ok.isReply && !session.messages[0].isReply)
        #expect(session.messages[3].truncated && session.messages[3].latency == nil)
        #expect(session.messages[1].range == 27..<47)
        #expect(session.c2s.messages == 2 && session.s2c.messages == 2)
        #expect(session.s2c.decodeError == DecodeFailure(proto: "resp", offset: 12, error: "bad type byte"))
        #expect(session.s2c.decodeErrors == 2 && session.c2s.decodeError == nil)
        #expect(session.messages.position(of: .s2c, index: 1) == 3)
        #expect(session.messages.position(of: .c2s, index: 2) == nil)
    }

    @Test("a held chunk keeps the breakpoint that held it; a user pause has none")
    func heldByBreakpoint() {
        let model = Self.model()
        open(model, 1)
        let held = HeldChunk(number: 3, bytes: ByteBuffer(string: "SET"), breakpoint: "c2s:SET")
        model.record(SessionEvent(conn: 1, .held(.c2s, held)))
        #expect(model.snapshot().sessions[0].c2s.held?.breakpoint == "c2s:SET")
        model.record(SessionEvent(conn: 1, .held(.c2s, nil)))
        model.record(SessionEvent(conn: 1, .held(.c2s, HeldChunk(number: 4, bytes: ByteBuffer(string: "x")))))
        #expect(model.snapshot().sessions[0].c2s.held?.breakpoint == nil)
    }

    @Test("replies follow their requests in the pairs view; pushes and orphans stand alone")
    func pairing() {
        var list = MessageList()
        func add(_ d: Direction, _ index: Int, _ summary: String, request: Int? = nil) {
            list.append(
                MessageRecord(Self.message(index, 0, 1, summary, request: request), direction: d, time: 0))
        }
        // Pipelined: three requests, then their replies; a push in between; then a request
        // answered by several replies (PostgreSQL-like), and a reply to a request never seen.
        add(.c2s, 0, "SET k v")
        add(.c2s, 1, "GET k")
        add(.c2s, 2, "PING")
        add(.s2c, 0, "+OK", request: 0)
        add(.s2c, 1, ">push")
        add(.s2c, 2, "$1 v", request: 1)
        add(.s2c, 3, "+PONG", request: 2)
        add(.c2s, 3, "Query")
        add(.s2c, 4, "RowDescription", request: 3)
        add(.s2c, 5, "DataRow", request: 3)
        add(.s2c, 6, "ReadyForQuery", request: 3)
        add(.s2c, 7, "orphan", request: 99)
        let rows = MessageConversation.rows(list)
        #expect(
            rows.map { (list[$0.position].summary, $0.underRequest) }.map { "\($0.1 ? "  " : "")\($0.0)" }
                == [
                    "SET k v", "  +OK", "GET k", "  $1 v", "PING", "  +PONG", ">push", "Query",
                    "  RowDescription",
                    "  DataRow", "  ReadyForQuery", "orphan",
                ])
        #expect(Set(rows.map(\.position)) == Set(list.indices) && rows.count == list.count)
    }

    @Test("a reply whose request was cut from the list stands alone")
    func pairingAfterCut() {
        var list = MessageList(limit: 2)
        list.append(MessageRecord(Self.message(0, 0, 1, "GET a"), direction: .c2s, time: 0))
        list.append(MessageRecord(Self.message(1, 1, 1, "GET b"), direction: .c2s, time: 0))
        list.append(MessageRecord(Self.message(0, 0, 1, "$1 a", request: 0), direction: .s2c, time: 0))
        #expect(list.map(\.summary) == ["GET b", "$1 a"])
        #expect(MessageConversation.rows(list).map(\.underRequest) == [false, false])
    }

    @Test(
        "the list keeps the newest messages across storage blocks and counts those cut",
        arguments: [1, 5, 600, 1500])
    func bound(limit: Int) {
        var list = MessageList(limit: limit)
        let total = 2 * MessageList.blockSize + 300
        for i in 0..<total {
            list.append(MessageRecord(Self.message(i, i, 1, "m\(i)"), direction: .c2s, time: UInt64(i)))
            #expect(list.count == min(i + 1, limit))
        }
        let kept = min(total, limit)
        #expect(list.count == kept && list.cutCount == total - kept && list.total == total)
        #expect(list.map(\.index) == Array((total - kept)..<total))
        #expect(list.position(of: .c2s, index: total - 1) == kept - 1)
        #expect(list.position(of: .c2s, index: total - kept) == 0)
        #expect(total == kept || list.position(of: .c2s, index: total - kept - 1) == nil)
    }

    @Test(
        "the model keeps the newest messages of a session and cuts the oldest sessions' lists over the budget"
    )
    func modelBounds() {
        let model = Self.model(messageLimit: 8, messageBudget: 10)
        open(model, 1)
        open(model, 2)
        for i in 0..<12 {
            model.record(SessionEvent(conn: 1, .message(.c2s, Self.message(i, i, 1, "a\(i)"))))
        }
        var sessions = model.snapshot().sessions
        #expect(sessions[0].messages.map(\.index) == Array(4..<12) && sessions[0].messages.cutCount == 4)
        #expect(sessions[0].c2s.messages == 12, "the direction counts every message")
        for i in 0..<3 {
            model.record(SessionEvent(conn: 2, .message(.s2c, Self.message(i, i, 1, "b\(i)"))))
        }
        sessions = model.snapshot().sessions
        // 8 + 3 > 10: the oldest session's list goes; the newest keeps its own.
        #expect(sessions[0].messages.isEmpty && sessions[0].messages.cutCount == 12)
        #expect(sessions[1].messages.map(\.summary) == ["b0", "b1", "b2"])
        // Sessions not asked for come without their lists, with their counts.
        let partial = model.snapshot(historyFor: [1]).sessions
        #expect(partial[1].messages.isEmpty && partial[1].s2c.messages == 3)
    }

    @Test("a hostile summary is cut to the limit; a hostile offset does not overflow the range")
    func hostileRecord() {
        let long = String(repeating: "é", count: 10_000)
        let record = MessageRecord(
            Self.message(0, Int.max - 1, 10, long), direction: .c2s, time: 0)
        #expect(record.summary.count == MessageRecord.summaryLimit && record.summary.hasSuffix("…"))
        #expect(record.range == (Int.max - 1)..<Int.max)
        let exact = String(repeating: "x", count: MessageRecord.summaryLimit)
        #expect(MessageRecord(Self.message(0, 0, 1, exact), direction: .c2s, time: 0).summary == exact)
    }
}

import NIOCore
import Testing

@testable import FlowFramers

@Suite("SharedFrameConversation: both directions' tasks share one conversation")
struct SharedFrameConversationTests {
    @Test("a client task and a server task feeding in turn find every message and the pairing")
    func twoTasks() async {
        let shared = SharedFrameConversation(.auto, portHint: 6379)
        let rounds = 500
        let (sentCounts, sentCount) = AsyncStream.makeStream(of: Int.self)
        async let client: [FramedMessage] = {
            var found: [FramedMessage] = []
            for _ in 0..<rounds {
                found += shared.feed(.client, ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")).messages
                // The request is on the wire: the server may answer it now.
                sentCount.yield(found.count)
            }
            sentCount.finish()
            return found
        }()
        async let server: [FramedMessage] = {
            var found: [FramedMessage] = []
            for await _ in sentCounts {
                found += shared.feed(.server, ByteBuffer(string: "$1\r\n")).messages
                found += shared.feed(.server, ByteBuffer(string: "v\r\n")).messages
            }
            return found
        }()
        let (sent, answered) = await (client, server)
        #expect(shared.spec == .resp)
        #expect(sent.map(\.summary) == Array(repeating: "GET k", count: rounds))
        #expect(answered.map(\.reply) == (0..<rounds).map { ReplyPairing(request: $0, isFirst: true) })
        #expect(shared.end(.server).isEmpty)
        #expect(shared.progress(.server).mode == .ended && shared.progress(.client).bytesFed == 20 * rounds)
    }
}

import FlowEvents
import FlowTransport
import Synchronization
import Testing

@testable import FlowTapKit

/// The accept loop's logic with an accept function of the test's own: failures do not end it,
/// and at the cap it stops asking for clients until a session ends.
@Suite("AcceptLoop: goes on after accept failures, pauses at the session cap")
struct AcceptLoopTests {
    /// What the injected accept function hands out, call after call.
    enum Step: Sendable {
        case fail
        case client(String)
        case end
    }

    /// An accept function playing `steps` in order (then `end`), counting its calls.
    final class ScriptedAccept: Sendable {
        private let state: Mutex<(steps: [Step], calls: Int)>
        init(_ steps: [Step]) { state = Mutex((steps, 0)) }
        var calls: Int { state.withLock { $0.calls } }
        func next() throws(TransportError) -> String? {
            let step = state.withLock { s -> Step in
                s.calls += 1
                return s.steps.isEmpty ? .end : s.steps.removeFirst()
            }
            switch step {
            case .fail: throw TransportError(action: "cannot accept on test", reason: "too many open files")
            case .client(let name): return name
            case .end: return nil
            }
        }
    }

    @Test("each accept failure is an accept_error, and the loop goes on to serve the next clients, numbered")
    func failuresDoNotEndTheLoop() async {
        let events = EventCollector()
        let accept = ScriptedAccept([.fail, .fail, .client("a"), .fail, .client("b"), .end])
        let served = Mutex<[String]>([])
        let loop = AcceptLoop<String>(
            limit: 10, emit: { events.record($0) }, accept: { () throws(TransportError) in try accept.next() }
        )
        await loop.run(in: SessionRegistry<Never>()) { client, id in
            served.withLock { $0.append("\(id) \(client)") }
        }
        #expect(served.withLock { $0 }.sorted() == ["1 a", "2 b"])
        let errors = events.all.compactMap { event -> String? in
            if case .acceptError(let text) = event.kind { return text }
            return nil
        }
        #expect(errors == Array(repeating: "cannot accept on test: too many open files", count: 3))
        #expect(accept.calls == 6)
    }

    @Test("at the cap: accept_paused, no more accept calls until a session ends, then accept_resumed")
    func pausesAtTheCap() async throws {
        let events = EventCollector()
        let accept = ScriptedAccept((1...3).map { .client("c\($0)") } + [.end])
        let releases = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
        let loop = AcceptLoop<String>(
            limit: 2, emit: { events.record($0) }, accept: { () throws(TransportError) in try accept.next() })
        let registry = SessionRegistry<Never>()
        let running = Task {
            await loop.run(in: registry) { _, id in
                let (ended, release) = AsyncStream<Void>.makeStream()
                releases.withLock { $0[id] = release }
                for await _ in ended {}
            }
        }
        let kinds: @Sendable () -> [String] = {
            events.all.compactMap { event in
                switch event.kind {
                case .acceptPaused(let sessions, let limit): "paused \(sessions)/\(limit)"
                case .acceptResumed(let sessions): "resumed \(sessions)"
                default: nil
                }
            }
        }
        try await waitUntil { kinds() == ["paused 2/2"] && releases.withLock { $0.count } == 2 }
        #expect(accept.calls == 2)  // paused: the third client is not asked for
        releases.withLock { $0[1] }?.finish()
        try await waitUntil { releases.withLock { $0.count } == 3 }
        #expect(kinds().prefix(2) == ["paused 2/2", "resumed 1"])
        #expect(registry.liveCount == 2)
        releases.withLock { $0[2] }?.finish()
        releases.withLock { $0[3] }?.finish()
        await running.value
        #expect(accept.calls == 4)
        #expect(registry.liveCount == 0)
    }
}

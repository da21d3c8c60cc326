import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import NIOCore
import Synchronization
import Testing

/// Faults on a live session: set, changed and removed while data flows, each change an event.
@Suite("Session: faults changed live")
struct SessionFaultTests {
    final class Events: Sendable {
        private let list = Mutex<[SessionEvent]>([])
        func record(_ event: SessionEvent) { list.withLock { $0.append(event) } }
        var faults: [String] {
            list.withLock { $0 }.compactMap { event in
                if case .fault(let d, let text) = event.kind { return "\(d) \(text)" }
                return nil
            }
        }
    }

    @Test("a blackhole set live holds c2s without closing; removing it delivers; events say so")
    func blackholeLive() async throws {
        let events = Events()
        let session = Session(id: 1) { events.record($0) }
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let towardsServer = FaultStack(serverSide)
        let towardsClient = FaultStack(clientSide, faults: [.slice(bytes: 2)])
        session.attachFaults(towardsServer, for: .c2s)
        session.attachFaults(towardsClient, for: .s2c)
        let running = Task { await session.run(client: towardsClient, server: towardsServer) }

        session.setFaults([.blackhole], for: .c2s)
        try await client.write(ByteBuffer(string: "held"))
        try await server.write(ByteBuffer(string: "abcde"))
        var answer = ""
        while answer.count < 5, case .data(let chunk) = try await client.read() {
            #expect(chunk.readableBytes <= 2)
            answer += String(buffer: chunk)
        }
        #expect(answer == "abcde")
        #expect(session.faults(.c2s) == [.blackhole])

        session.setFaults([.latency(.milliseconds(1))], for: .c2s)
        #expect(String(buffer: try #require(try await chunk(server))) == "held")
        await client.shutdownWrite()
        await server.shutdownWrite()
        #expect(try await server.read() == .eof)
        #expect(try await client.read() == .eof)
        _ = await running.value
        #expect(
            events.faults == ["s2c slice=2", "c2s blackhole", "c2s -blackhole", "c2s latency=1ms"])
    }

    @Test("kill wakes a writer held by a blackhole, and the session ends")
    func killBlackholed() async throws {
        let session = Session(id: 2) { _ in }
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let towardsServer = FaultStack(serverSide, faults: [.blackhole])
        let towardsClient = FaultStack(clientSide)
        session.attachFaults(towardsServer, for: .c2s)
        session.attachFaults(towardsClient, for: .s2c)
        let running = Task {
            await session.run(client: towardsClient, server: towardsServer) {
                await clientSide.shutdownRead()
                await serverSide.shutdownRead()
            }
        }
        try await client.write(ByteBuffer(string: "never delivered"))
        try await Task.sleep(for: .milliseconds(50))
        await session.kill()
        await server.shutdownWrite()
        _ = await running.value
        #expect(try await server.read() == .eof)
    }
}

private func chunk(_ flow: some Flow) async throws -> ByteBuffer? {
    if case .data(let buffer) = try await flow.read() { return buffer }
    return nil
}

import FlowCore
import FlowFaults
import FlowTestSupport
import NIOCore
import Synchronization
import Testing

/// ``FaultStack``: faults chained, changed live, byte-exact under random stacks, half-close.
@Suite("Faults: the live fault stack")
struct FaultStackTests {
    /// Every fault that lets every byte through (given time).
    static let passing: [Fault] = [
        .latency(.milliseconds(30)), .bandwidth(bytesPerSecond: 10_000), .slice(bytes: 1),
        .slice(bytes: 7, delay: .milliseconds(2)), .slowClose(.milliseconds(500)),
        .latency(.milliseconds(20), jitter: .milliseconds(15), seed: 3),
    ]

    @Test("a FIN passes through every fault after the data", arguments: passing)
    func halfClose(fault: Fault) async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, faults: [fault], clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task {
            try await stack.write(buf("request "))
            try await stack.write(buf("body"))
            await stack.shutdownWrite()
        }
        await drive(clock) { arrivals.ended }
        try await writer.value
        #expect(arrivals.text == "request body")
        #expect(arrivals.error == nil)
        // The other direction still works after the FIN, through the stack's reads.
        try await b.write(buf("answer"))
        #expect(text(try await stack.read()) == "answer")
    }

    @Test(
        "an empty stack passes straight through, yet a fault added later, its removal and a failure all still apply"
    )
    func emptyStack() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await stack.write(buf("one "))
        await settle { arrivals.text == "one " }
        // A latency added to the empty stack holds the next chunk back until its time.
        stack.set([.latency(.milliseconds(50))])
        try await stack.write(buf("two "))
        await quiesce()
        #expect(arrivals.text == "one ")
        // Emptied again: the next write waits until the old chain has delivered (order kept).
        stack.set([])
        let writer = Task { try await stack.write(buf("three")) }
        await drive(clock) { arrivals.text == "one two three" }
        try await writer.value
        // A failure is not bypassed by the empty path: writes and reads fail from now on.
        stack.fail(FlowError("session killed"))
        await expectWriteError(.failed(FlowError("session killed"))) { () async throws(WriteError) in
            try await stack.write(buf("no"))
        }
        try await b.write(buf("late"))
        await #expect(throws: FlowError("session killed")) { _ = try await stack.read() }
    }

    @Test("latency then slice: 3 bytes arrive one by one, 100 ms after they were written")
    func chained() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, faults: [.slice(bytes: 1), .latency(.milliseconds(100))], clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await stack.write(buf("abc"))
        clock.advance(by: .milliseconds(100))
        await settle { arrivals.count == 3 }
        #expect(arrivals.chunks == ["a", "b", "c"])
        #expect(arrivals.arrivals.allSatisfy { $0.at == .milliseconds(100) })
    }

    @Test("byte-exact under random fault stacks (seeded)", arguments: 0..<12)
    func randomStacks(seed: UInt64) async throws {
        var random = SeededRandom(seed: seed)
        var faults: [Fault] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                faults.append(
                    .latency(
                        .milliseconds(Int.random(in: 0...50, using: &random)),
                        jitter: .milliseconds(Int.random(in: 0...20, using: &random)), seed: seed))
            case 1:
                faults.append(.bandwidth(bytesPerSecond: Int.random(in: 16_000...1_000_000, using: &random)))
            case 2: faults.append(.slice(bytes: Int.random(in: 1...300, using: &random)))
            case 3:
                faults.append(
                    .slice(
                        bytes: Int.random(in: 50...500, using: &random),
                        delay: .milliseconds(Int.random(in: 0...3, using: &random))))
            default: faults.append(.slowClose(.milliseconds(Int.random(in: 0...100, using: &random))))
            }
        }
        let data = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        var chunks: [ByteBuffer] = []
        var index = 0
        while index < data.count {
            let size = min(data.count - index, Int.random(in: 1...2000, using: &random))
            chunks.append(ByteBuffer(bytes: data[index..<index + size]))
            index += size
        }
        let clock = ManualClock()
        let (a, b) = Pipe.pair(capacity: 4096)
        let stack = FaultStack(a, faults: faults, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let toWrite = chunks
        let writer = Task {
            for chunk in toWrite { try await stack.write(chunk) }
            await stack.shutdownWrite()
        }
        await drive(clock) { arrivals.ended }
        try await writer.value
        #expect(arrivals.bytes == data, "faults: \(faults)")
    }

    @Test("faults changed live: nothing lost, duplicated or reordered")
    func liveChanges() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let changes: [[Fault]] = [
            [.latency(.milliseconds(50))], [.slice(bytes: 2)],
            [.latency(.milliseconds(10)), .slice(bytes: 3)],
            [], [.bandwidth(bytesPerSecond: 2000)], [.latency(.milliseconds(80), jitter: .milliseconds(40))],
        ]
        let writer = Task {
            for i in 0..<60 {
                if i % 10 == 0 { stack.set(changes[i / 10]) }
                try await stack.write(buf(label(i)))
            }
            await stack.shutdownWrite()
        }
        await drive(clock) { arrivals.ended }
        try await writer.value
        #expect(arrivals.text == (0..<60).map { label($0) }.joined())
    }

    @Test("add keeps the faults already there: a limit keeps counting")
    func addKeepsState() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, faults: [.limit(bytes: 6)], clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await stack.write(buf("abcd"))
        stack.add(.slice(bytes: 1))
        #expect(stack.faults == [.slice(bytes: 1), .limit(bytes: 6)])
        await expectWriteError(.closed) { () async throws(WriteError) in try await stack.write(buf("efgh")) }
        await settle { arrivals.ended }
        #expect(arrivals.chunks == ["abcd", "e", "f"])
    }

    @Test("blackhole in a stack: writes stall until removed, then everything goes on in order")
    func blackhole() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, faults: [.blackhole], clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task {
            try await stack.write(buf("held "))
            try await stack.write(buf("then this"))
            await stack.shutdownWrite()
        }
        await quiesce()
        #expect(arrivals.count == 0)
        stack.remove(.blackhole)
        try await writer.value
        await settle { arrivals.ended }
        #expect(arrivals.text == "held then this")
    }

    @Test("reset after bytes in a stack: onReset runs once, reads and writes fail")
    func reset() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let resets = Mutex(0)
        let stack = FaultStack(a, faults: [.reset(afterBytes: 4)], clock: clock) {
            resets.withLock { $0 += 1 }
            await a.shutdownRead()
            await a.shutdownWrite()
        }
        let arrivals = Arrivals(b, clock: clock)
        await expectWriteError(.failed(ResetFlow<PipeFlow>.resetError)) { () async throws(WriteError) in
            try await stack.write(buf("abcdefgh"))
        }
        await settle { arrivals.ended }
        #expect(arrivals.text == "abcd")
        await #expect(throws: ResetFlow<PipeFlow>.resetError) { try await stack.read() }
        await stack.reset()
        #expect(resets.withLock { $0 } == 1)
    }

    @Test("reset on demand drops what a latency holds and wakes a blackholed writer")
    func resetDrops() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let stack = FaultStack(a, faults: [.latency(.seconds(1))], clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await stack.write(buf("in flight"))
        stack.add(.blackhole)
        let writer = Task { try await stack.write(buf("stalled")) }
        await quiesce()
        await stack.reset()
        await #expect(throws: WriteError.failed(ResetFlow<PipeFlow>.resetError)) { try await writer.value }
        clock.advance(by: .seconds(2))
        await settle { arrivals.ended }
        #expect(arrivals.count == 0)
    }

    @Test("proxy through a limit: the limited direction ends, the other one goes on")
    func proxyLimit() async throws {
        let (client, proxyClientSide) = Pipe.pair()
        let (proxyServerSide, server) = Pipe.pair()
        let clock = ManualClock()
        let towardsServer = FaultStack(proxyServerSide, faults: [.limit(bytes: 5)], clock: clock)
        let proxying = Task { try await proxy(proxyClientSide, towardsServer) }
        try await client.write(buf("hello world"))
        var received = ""
        while case .data(let chunk) = try await server.read() { received += String(buffer: chunk) }
        #expect(received == "hello")
        try await server.write(buf("answer after the cut"))
        await server.shutdownWrite()
        var answer = ""
        while case .data(let chunk) = try await client.read() { answer += String(buffer: chunk) }
        #expect(answer == "answer after the cut")
        await #expect(throws: ProxyError.self) { try await proxying.value }
    }
}

/// `7` as `"007 "`: fixed-width labels, so a lost or repeated byte shows.
private func label(_ i: Int) -> String {
    let digits = String(i)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits + " "
}

import FlowCore
import FlowFaults
import FlowTestSupport
import NIOCore
import Synchronization
import Testing

/// Each fault combinator on `Pipe.pair()` with a manual clock: exact delays and rates.
@Suite("Faults: each combinator on a pipe, timed by a manual clock")
struct FaultCombinatorTests {
    @Test("latency: each chunk arrives exactly 200 ms after it was written; writes return at once")
    func latency() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = LatencyFlow(a, latency: .milliseconds(200), clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        for i in 0..<10 { try await faulty.write(buf("\(i)")) }  // not serialised: no clock move
        clock.advance(by: .milliseconds(50))
        try await faulty.write(buf("late"))
        clock.advance(by: .milliseconds(149))
        await quiesce()
        #expect(arrivals.count == 0)
        clock.advance(by: .milliseconds(1))
        await settle { arrivals.count == 10 }
        #expect(arrivals.chunks == (0..<10).map { "\($0)" })
        #expect(arrivals.arrivals.allSatisfy { $0.at == .milliseconds(200) })
        clock.advance(by: .milliseconds(49))
        await quiesce()
        #expect(arrivals.count == 10)
        clock.advance(by: .milliseconds(1))
        await settle { arrivals.chunks.last == "late" }
        #expect(arrivals.arrivals.last?.at == .milliseconds(250))
    }

    @Test("latency: a FIN arrives after the data before it, not before")
    func latencyFIN() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = LatencyFlow(a, latency: .milliseconds(200), clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("request"))
        let shut = Task { await faulty.shutdownWrite() }
        await sleepers(clock)
        await expectWriteError(.closed) { () async throws(WriteError) in try await faulty.write(buf("x")) }
        clock.advance(by: .milliseconds(199))
        await quiesce()
        #expect(!arrivals.ended && arrivals.count == 0)
        clock.advance(by: .milliseconds(1))
        await shut.value
        await settle { arrivals.ended }
        #expect(arrivals.chunks == ["request"])
        #expect(arrivals.endedAt == .milliseconds(200))
        // The other direction lives on.
        try await b.write(buf("answer"))
        #expect(text(try await faulty.read()) == "answer")
    }

    @Test("latency with jitter: seeded, never reordered, each delay within latency ± jitter")
    func jitter() async throws {
        func run(seed: UInt64) async throws -> [Duration] {
            let clock = ManualClock()
            let (a, b) = Pipe.pair()
            let delivered = Deliveries(a, clock: clock)
            let faulty = LatencyFlow(
                delivered, latency: .milliseconds(100), jitter: .milliseconds(30), seed: seed, clock: clock)
            let arrivals = Arrivals(b, clock: clock)
            var written: [Duration] = []
            // One clock step at a time, each time until the delivery task sleeps again or has
            // nothing left, so every delivery is seen at its exact time.
            func step() async {
                clock.advance(by: .milliseconds(1))
                await settle { clock.sleeperCount > 0 || faulty.queuedBytes == 0 }
            }
            for i in 0..<50 {
                written.append(clock.now.offset)
                try await faulty.write(buf("\(i),"))
                await settle { clock.sleeperCount > 0 }
                for _ in 0..<5 { await step() }
            }
            while faulty.queuedBytes > 0 { await step() }
            await settle { arrivals.arrivals.count == 50 }
            #expect(arrivals.chunks == (0..<50).map { "\($0)," })
            var previous = Duration.zero
            for (i, arrival) in delivered.arrivals.enumerated() {
                #expect(arrival.at >= written[i] + .milliseconds(70))
                #expect(arrival.at <= max(previous, written[i] + .milliseconds(131)))
                #expect(arrival.at >= previous)
                previous = arrival.at
            }
            return delivered.arrivals.map(\.at)
        }
        let first = try await run(seed: 7)
        #expect(try await run(seed: 7) == first)
        #expect(try await run(seed: 8) != first)
    }

    @Test("latency: a full queue holds the writer until a chunk was delivered")
    func latencyBound() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = LatencyFlow(a, latency: .seconds(1), capacity: 10, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("0123456789"))
        let second = Task { try await faulty.write(buf("a")) }
        await quiesce()
        #expect(faulty.queuedBytes == 10)
        clock.advance(by: .seconds(1))
        try await second.value
        await settle { arrivals.count == 10 }
        clock.advance(by: .seconds(1))
        await settle { arrivals.text == "0123456789a" }
        #expect(arrivals.arrivals.map(\.at) == [.seconds(1), .seconds(2)])
    }

    @Test("bandwidth: 1000 B/s delivers 10-byte pieces every 10 ms; 100 bytes take exactly 100 ms")
    func bandwidth() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = BandwidthFlow(a, bytesPerSecond: 1000, clock: clock)
        #expect(faulty.pieceSize == 10)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task { try await faulty.write(ByteBuffer(repeating: 1, count: 100)) }
        for step in 1...10 {
            await sleepers(clock)
            await quiesce()
            #expect(arrivals.count == (step - 1) * 10)
            clock.advance(by: .milliseconds(10))
            await settle { arrivals.count == step * 10 }
        }
        try await writer.value
        #expect(arrivals.arrivals.map(\.at) == (1...10).map { .milliseconds(10 * $0) })
    }

    @Test("bandwidth: 1 MiB at 64 KiB/s takes 16 s, never ahead of the rate, at most one piece behind")
    func bandwidthLarge() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let rate = 64 * 1024
        let faulty = BandwidthFlow(a, bytesPerSecond: rate, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task {
            for _ in 0..<16 { try await faulty.write(ByteBuffer(repeating: 2, count: 65536)) }
        }
        for second in 1...16 {
            await drive(clock, step: .milliseconds(10)) { clock.now.offset >= .seconds(second) }
            await settle { arrivals.count >= rate * second - faulty.pieceSize }
            #expect(arrivals.count <= rate * second)
        }
        try await writer.value
        await settle { arrivals.count == 1 << 20 }
        #expect(arrivals.arrivals.last?.at == .seconds(16))
    }

    @Test("slice=1: a request arrives byte by byte, in order")
    func slice() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = SliceFlow(a, pieceSize: 1, clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("PING\r\n"))
        await faulty.shutdownWrite()
        await settle { arrivals.ended }
        #expect(arrivals.chunks == ["P", "I", "N", "G", "\r", "\n"])
    }

    @Test("slice with a delay: pieces of 3 bytes, 10 ms apart, across writes")
    func sliceDelay() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let delivered = Deliveries(a, clock: clock)
        let faulty = SliceFlow(delivered, pieceSize: 3, delay: .milliseconds(10), clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task {
            try await faulty.write(buf("abcdefg"))
            try await faulty.write(buf("hi"))
        }
        await drive(clock) { arrivals.count == 9 }
        try await writer.value
        #expect(arrivals.chunks == ["abc", "def", "g", "hi"])
        #expect(delivered.arrivals.map(\.at) == [0, 10, 20, 30].map { .milliseconds($0) })
    }

    @Test("limit: 5 bytes pass, then FIN; the crossing write throws closed; the other way lives")
    func limit() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let reached = Mutex(0)
        let faulty = LimitFlow(a, limit: 5) { reached.withLock { $0 += 1 } }
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("abc"))
        await expectWriteError(.closed) { () async throws(WriteError) in
            try await faulty.write(buf("defgh"))
        }
        await expectWriteError(.closed) { () async throws(WriteError) in try await faulty.write(buf("i")) }
        await settle { arrivals.ended }
        #expect(arrivals.chunks == ["abc", "de"])
        #expect(reached.withLock { $0 } == 1)
        #expect(faulty.passedBytes == 5)
        try await b.write(buf("still answering"))
        #expect(text(try await faulty.read()) == "still answering")
    }

    @Test("limit: a write ending exactly on the limit succeeds, then FIN")
    func limitExact() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = LimitFlow(a, limit: 4)
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("abcd"))
        await settle { arrivals.ended }
        #expect(arrivals.text == "abcd")
        await expectWriteError(.closed) { () async throws(WriteError) in try await faulty.write(buf("e")) }
    }

    @Test("reset after 3 bytes: the rest is dropped, both ends fail, onReset runs once")
    func resetAfter() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let resets = Mutex(0)
        let faulty = ResetFlow(a, afterBytes: 3) {
            resets.withLock { $0 += 1 }
            await a.shutdownRead()
            await a.shutdownWrite()
        }
        let arrivals = Arrivals(b, clock: clock)
        await expectWriteError(.failed(ResetFlow<PipeFlow>.resetError)) { () async throws(WriteError) in
            try await faulty.write(buf("abcdef"))
        }
        await settle { arrivals.ended }
        #expect(arrivals.text == "abc")
        #expect(faulty.isReset)
        await #expect(throws: ResetFlow<PipeFlow>.resetError) { try await faulty.read() }
        await expectWriteError(.failed(ResetFlow<PipeFlow>.resetError)) { () async throws(WriteError) in
            try await faulty.write(buf("x"))
        }
        await expectWriteError(.closed) { () async throws(WriteError) in try await b.write(buf("y")) }
        await faulty.reset()
        #expect(resets.withLock { $0 } == 1)
    }

    @Test("reset on demand: a read waiting in the wrapped flow fails; the peer reads end-of-file")
    func resetOnDemand() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = ResetFlow(a)
        let reader = Task { try await faulty.read() }
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("fine"))
        await faulty.reset()
        await #expect(throws: ResetFlow<PipeFlow>.resetError) { try await reader.value }
        await settle { arrivals.ended }
        #expect(arrivals.text == "fine")
    }

    @Test("slow close: data passes at once, the FIN 2 s later")
    func slowClose() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = SlowCloseFlow(a, delay: .seconds(2), clock: clock)
        let arrivals = Arrivals(b, clock: clock)
        try await faulty.write(buf("bye"))
        await settle { arrivals.count == 3 }
        let shut = Task { await faulty.shutdownWrite() }
        await sleepers(clock)
        await expectWriteError(.closed) { () async throws(WriteError) in try await faulty.write(buf("x")) }
        clock.advance(by: .milliseconds(1999))
        await quiesce()
        #expect(!arrivals.ended)
        clock.advance(by: .milliseconds(1))
        await shut.value
        await settle { arrivals.ended }
        #expect(arrivals.endedAt == .seconds(2))
        #expect(arrivals.arrivals.map(\.at) == [.zero])
    }

    @Test("blackhole: the writer and the FIN stall, nothing arrives, lifting delivers all in order")
    func blackhole() async throws {
        let clock = ManualClock()
        let (a, b) = Pipe.pair()
        let faulty = BlackholeFlow(a)
        let arrivals = Arrivals(b, clock: clock)
        let writer = Task {
            try await faulty.write(buf("one"))
            try await faulty.write(buf("two"))
            await faulty.shutdownWrite()
        }
        await quiesce()
        #expect(arrivals.count == 0 && !arrivals.ended)
        try await b.write(buf("other way"))
        #expect(text(try await faulty.read()) == "other way")
        faulty.lift()
        try await writer.value
        await settle { arrivals.ended }
        #expect(arrivals.chunks == ["one", "two"])
    }

    @Test("blackhole: fail ends the stalled write with the error")
    func blackholeFail() async throws {
        let (a, _) = Pipe.pair()
        let faulty = BlackholeFlow(a)
        let writer = Task { try await faulty.write(buf("held")) }
        await quiesce()
        faulty.fail(FlowError("killed"))
        await #expect(throws: WriteError.failed(FlowError("killed"))) { try await writer.value }
    }
}

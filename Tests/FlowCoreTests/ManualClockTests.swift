import FlowCore
import Testing

@Suite("ManualClock")
struct ManualClockTests {
    @Test("sleepers wake exactly when the clock reaches their deadline")
    func wakes() async throws {
        let clock = ManualClock()
        let sleeper = Task {
            try await clock.sleep(for: .seconds(2))
            return clock.now.offset
        }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(1))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(try await sleeper.value == .seconds(2))
        #expect(clock.sleeperCount == 0)
    }

    @Test("a cancelled sleeper throws CancellationError")
    func cancel() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("a deadline in the past returns at once")
    func past() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(3))
        try await clock.sleep(until: .init(offset: .seconds(1)))
        #expect(clock.now.offset == .seconds(3))
    }
}

import FlowCore
import FlowEvents
import FlowFaults
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import FlowTapKit

/// What a gate reported, in the order its observer heard it.
private final class HoldLog: Sendable {
    private let entries = Mutex<[String]>([])

    /// An observer that works a little before it records (as a real one formats its event),
    /// which widens any window in which two reports could cross.
    func record(_ held: HeldChunk?) {
        var hash: UInt64 = 1_469_598_103_934_665_603
        for byte in 0..<200 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let entry = held.map { "held \($0.number)" } ?? "released"
        entries.withLock { $0.append(entry + (hash == 0 ? "!" : "")) }
    }

    var all: [String] { entries.withLock { $0 } }
}

/// A value several tasks share.
private final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

@Suite("Gate: event order and cancellation; SendLock: cancellation, tryLock")
struct GateConcurrencyTests {
    @Test("a step racing the hold is always reported after it: held, then released (2,000 rounds)")
    func holdBeforeRelease() async throws {
        var rng = SplitMix64(seed: 11)
        var misordered = 0
        for _ in 0..<2000 {
            let log = HoldLog()
            let gate = Gate(paused: true) { log.record($0) }
            let passed = Shared(false)
            // Half the rounds step as soon as the chunk is seen held (the window between the
            // hold and its report, in the old gate); the others step blindly, a few spins in.
            let blindAfter = Bool.random(using: &rng) ? Int.random(in: 0..<64, using: &rng) : nil
            // The stepper is a thread of its own, truly in parallel with the gate's task (and
            // its spinning never takes a thread of the cooperative pool from other tests).
            let stepped = AsyncMonitor(false)
            Thread.detachNewThread {
                var spins = 0
                while !passed.withLock({ $0 }) {
                    if let blindAfter {
                        if spins == blindAfter { gate.step() }
                    } else if gate.held != nil {
                        gate.step()
                    }
                    spins += 1
                }
                stepped.withLock { $0 = true }
            }
            // A blind step may come before the chunk (a credit) or after it: either way it goes.
            let verdict = try await gate.pass(ByteBuffer(string: "x"))
            passed.withLock { $0 = true }
            try await stepped.wait(until: { $0 })
            #expect(verdict == .deliver)
            let events = log.all
            if events != ["held 1", "released"] && events != [] { misordered += 1 }
        }
        #expect(misordered == 0, "\(misordered) of 2000 rounds reported the release before the hold")
    }

    @Test(
        "a task cancelled while its chunk is held throws CancellationError; the hold ends, nothing is delivered"
    )
    func cancelAtGate() async throws {
        let log = HoldLog()
        let gate = Gate(paused: true) { log.record($0) }
        let passing = Task { try await gate.pass(ByteBuffer(string: "held")) }
        while gate.held == nil { await Task.yield() }
        passing.cancel()
        await #expect(throws: CancellationError.self) { _ = try await passing.value }
        #expect(gate.held == nil)
        #expect(log.all == ["held 1", "released"])
        // The gate is still paused and still works: the next chunk is held, and a step lets it go.
        #expect(gate.isPaused)
        let next = Task { try await gate.pass(ByteBuffer(string: "next")) }
        while gate.held == nil { await Task.yield() }
        #expect(gate.held?.number == 2)
        gate.step()
        let verdict = try await next.value
        #expect(verdict == .deliver)
    }

    @Test("a verdict given before the cancellation wins: the chunk is delivered, not lost")
    func verdictBeforeCancel() async throws {
        let gate = Gate(paused: true)
        let passing = Task { try await gate.pass(ByteBuffer(string: "held")) }
        while gate.held == nil { await Task.yield() }
        gate.step()
        passing.cancel()
        let verdict = try await passing.value
        #expect(verdict == .deliver)
    }

    @Test(
        "a task cancelled while it waits for the send lock throws and does not take it; the others keep their turn"
    )
    func cancelAtSendLock() async throws {
        let lock = SendLock()
        try await lock.lock()
        let order = Shared<[Int]>([])
        var tasks: [Task<Void, any Error>] = []
        for id in 0..<3 {
            tasks.append(
                Task {
                    try await lock.lock()
                    order.withLock { $0.append(id) }
                    lock.unlock()
                })
            while lock.waiting != id + 1 { await Task.yield() }
        }
        tasks[1].cancel()
        await #expect(throws: CancellationError.self) { try await tasks[1].value }
        #expect(lock.waiting == 2)
        lock.unlock()
        try await tasks[0].value
        try await tasks[2].value
        #expect(order.withLock { $0 } == [0, 2])
        // Nobody holds it now: it is taken at once.
        try await lock.lock()
        #expect(lock.waiting == 0)
        lock.unlock()
    }

    @Test("tryLock takes only a free lock, and never overtakes a waiter")
    func tryLockNeverOvertakes() async throws {
        let lock = SendLock()
        #expect(lock.tryLock())
        #expect(!lock.tryLock())
        let order = Shared<[String]>([])
        let waiter = Task {
            try await lock.lock()
            order.withLock { $0.append("waiter") }
            lock.unlock()
        }
        while lock.waiting != 1 { await Task.yield() }
        // Freed with a waiter: handed to it in the same step, so a try right after fails.
        lock.unlock()
        let took = lock.tryLock()
        if took {
            order.withLock { $0.append("try") }
            lock.unlock()
        }
        try await waiter.value
        #expect(!took)
        #expect(order.withLock { $0 } == ["waiter"])
        #expect(lock.tryLock())
        lock.unlock()
    }

    @Test(
        "a session cancelled while a chunk is held: reported as a read error, both ends reset, the chunk never sent"
    )
    func cancelHeldSession() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1, paused: true) { events.record($0) }
        let killed = Shared(false)
        let running = Task {
            await session.run(client: clientSide, server: serverSide) {
                killed.withLock { $0 = true }
                await clientSide.shutdownRead()
                await serverSide.shutdownRead()
                await clientSide.shutdownWrite()
                await serverSide.shutdownWrite()
            }
        }
        try await client.write(ByteBuffer(string: "held"))
        try await waitUntil { events.names.contains("held c2s 4") }
        running.cancel()
        _ = await running.value
        #expect(killed.withLock { $0 })
        #expect(events.names.contains("released c2s"))
        #expect(!events.names.contains("data c2s"))
        #expect(events.names.last == "close")
        // What the server gets: nothing of the held chunk, then the end.
        #expect(try await server.read() == .eof)
    }
}

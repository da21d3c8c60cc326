import FlowCore
import FlowEvents
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import FlowTapKit

/// A consumer that records what it got, and can be held (a stalled stdout).
private final class Recorder: EventConsumer {
    let got = Mutex<[SessionEvent]>([])
    let batches = Atomic<Int>(0)
    let gate = NSCondition()
    let held = Mutex(false)

    func consume(_ events: ArraySlice<SessionEvent>) {
        gate.lock()
        while held.withLock({ $0 }) { gate.wait() }
        gate.unlock()
        batches.add(1, ordering: .relaxed)
        got.withLock { $0 += events }
    }

    func hold(_ on: Bool) {
        gate.lock()
        held.withLock { $0 = on }
        gate.broadcast()
        gate.unlock()
    }
}

@Suite("EventQueue: bounded, never blocking the recorder, nothing lost")
struct EventQueueTests {
    static func data(_ index: Int, size: Int = 100) -> SessionEvent {
        SessionEvent(
            conn: 1,
            .data(.c2s, offset: index * size, bytes: ByteBuffer(repeating: UInt8(index % 251), count: size)))
    }

    @Test("every event reaches the reader, in order, in batches; finish drains")
    func order() async {
        let reader = Recorder()
        let queue = EventQueue(reader, maxBytes: 1 << 20)
        for index in 0..<20_000 {
            await queue.room()
            queue.record(Self.data(index))
        }
        #expect(await queue.finish())
        let got = reader.got.withLock { $0 }.map(\.kind)
        let sent = (0..<20_000).map { Self.data($0).kind }
        #expect(got.count == sent.count)
        let inOrder = got == sent
        #expect(inOrder, "events lost, changed or reordered")
        #expect(reader.batches.load(ordering: .relaxed) < 20_000, "one batch per event")
    }

    @Test("a full queue suspends room() until the reader takes a batch; record never waits")
    func backPressure() async throws {
        let reader = Recorder()
        reader.hold(true)
        let queue = EventQueue(reader, maxBytes: 64 * 1024)
        // Past the bound, record still takes every event at once.
        for index in 0..<100 { queue.record(Self.data(index, size: 4096)) }
        let passed = Atomic<Bool>(false)
        let waiter = Task {
            await queue.room()
            passed.store(true, ordering: .relaxed)
        }
        try await Task.sleep(for: .milliseconds(100))
        let early = passed.load(ordering: .relaxed)
        #expect(!early, "room() returned while the queue was full")
        reader.hold(false)
        await waiter.value
        let after = passed.load(ordering: .relaxed)
        #expect(after)
        #expect(await queue.finish())
        #expect(reader.got.withLock { $0.count } == 100)
    }

    @Test("stopPushingBack lets waiting producers go; a reader that never drains is abandoned by finish")
    func stopAndAbandon() async throws {
        let reader = Recorder()
        reader.hold(true)
        let queue = EventQueue(reader, maxBytes: 4096)
        for index in 0..<10 { queue.record(Self.data(index, size: 4096)) }
        let waiter = Task { await queue.room() }
        try await Task.sleep(for: .milliseconds(50))
        queue.stopPushingBack()
        await waiter.value
        #expect(await queue.finish(waitingAtMost: .milliseconds(200)) == false)
        reader.hold(false)
    }

    @Test("a queue that does not keep bytes hands on data of the right length, and keeps no chunk alive")
    func placeholders() async {
        let reader = Recorder()
        let queue = EventQueue(reader, keepsBytes: false)
        queue.record(Self.data(3, size: 70_000))
        queue.record(Self.data(4, size: 10))
        #expect(await queue.finish())
        let sizes = reader.got.withLock { $0 }.compactMap { event -> Int? in
            guard case .data(_, _, let bytes) = event.kind else { return nil }
            return bytes.readableBytes
        }
        #expect(sizes == [70_000, 10])
    }
}

@Suite("EventQueue: gathering batches without holding them back")
struct EventQueueGatherTests {
    /// A consumer that counts what it got.
    private final class Counter: EventConsumer {
        let count = Atomic<Int>(0)
        func consume(_ events: ArraySlice<SessionEvent>) { count.add(events.count, ordering: .relaxed) }
    }

    @Test(
        "a log that keeps no bytes allocates none: chunks up to a socket read's 256 KiB share one placeholder"
    )
    func placeholdersShareStorage() {
        func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
            buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        }
        let small = EventQueue.placeholder(100)
        let large = EventQueue.placeholder(256 * 1024)
        let medium = EventQueue.placeholder(200_000)
        #expect(
            small.readableBytes == 100 && medium.readableBytes == 200_000 && large.readableBytes == 256 * 1024
        )
        #expect(
            address(small) != nil && address(small) == address(medium) && address(small) == address(large))
        #expect(EventQueue.placeholder(256 * 1024 + 1).readableBytes == 256 * 1024 + 1)
    }

    @Test("a full batch is taken at once, and finish ends a gather, even with a gather window of an hour")
    func fullBatchWakesTheReader() async throws {
        let reader = Counter()
        let queue = EventQueue(reader, gatherWindow: .seconds(3600))
        let start = ContinuousClock.now
        // Whatever the reader is doing when they come (starting, asleep, or letting events
        // gather after a wake), 1024 queued events end its gather: with 5000 recorded, a
        // full batch must be taken long before the hour is out. The bounds below are hang
        // guards, far from the window and far above what a loaded machine needs (38 s was seen
        // at a load average of 21 with a one-minute window and 30 s bounds).
        for index in 0..<5000 { queue.record(EventQueueTests.data(index)) }
        while reader.count.load(ordering: .relaxed) < 1024 {
            #expect(ContinuousClock.now - start < .seconds(120), "a full batch waited for the gather window")
            if ContinuousClock.now - start >= .seconds(120) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        // What is left may be gathering: finish must not wait out the window.
        #expect(await queue.finish(waitingAtMost: .seconds(120)))
        #expect(reader.count.load(ordering: .relaxed) == 5000)
        #expect(ContinuousClock.now - start < .seconds(300))
    }
}

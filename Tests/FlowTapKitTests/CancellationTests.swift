import NIOCore
import Testing

@testable import FlowTapKit

/// A task waiting at a paused gate or for a send lock must end when it is cancelled (a session
/// being torn down cancels its tasks); the primitives under Gate and SendLock do not look at
/// cancellation yet.
@Suite("Cancellation of tasks waiting at a gate or a send lock")
struct CancellationTests {
    @Test(
        "a task waiting at a paused gate ends when cancelled, and the gate holds nothing any more",
        .disabled("waits for the waiter primitive, issue 11 item 4")
    )
    func gatePass() async throws {
        let gate = Gate(paused: true)
        let waiter = Task { await gate.pass(ByteBuffer(string: "held")) }
        try await waitUntil { gate.held != nil }
        waiter.cancel()
        let ended = try await endsWithin(.seconds(5), waiter) { gate.release() }
        #expect(ended, "a cancelled Gate.pass kept waiting until the gate was opened")
        #expect(gate.held == nil)
    }

    @Test(
        "a task waiting for a held send lock ends when cancelled, without taking the lock",
        .disabled("waits for the waiter primitive, issue 11 item 4")
    )
    func sendLock() async throws {
        let lock = SendLock()
        await lock.lock()
        let took = Flag()
        let waiter = Task {
            await lock.lock()
            took.set()
        }
        waiter.cancel()
        let ended = try await endsWithin(.seconds(5), waiter) { lock.unlock() }
        #expect(ended, "a cancelled SendLock.lock kept waiting until the lock was let go")
        #expect(!took.isSet, "a cancelled waiter took the lock")
        // The holder lets go; the lock is free for the next one (the cancelled waiter is not
        // served it).
        if ended { lock.unlock() }
        let next = Task {
            await lock.lock()
            lock.unlock()
        }
        #expect(try await endsWithin(.seconds(5), next) { lock.unlock() })
    }
}

/// Whether `task` ends within `timeout`. If it does not, `unblock` is called (it must let the
/// task end), so that the test reports the failure instead of hanging.
func endsWithin<T: Sendable>(
    _ timeout: Duration, _ task: Task<T, Never>, unblock: @Sendable () -> Void
) async throws -> Bool {
    let done = Flag()
    let watcher = Task {
        _ = await task.value
        done.set()
    }
    let deadline = ContinuousClock.now + timeout
    while !done.isSet && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    let ended = done.isSet
    if !ended { unblock() }
    await watcher.value
    return ended
}

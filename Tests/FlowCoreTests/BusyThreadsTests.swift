import Foundation
import TestSupport
import Testing

/// The `.busyThreads` trait really moves a test off the cooperative pool (else the parallel run
/// stalls again, as it did before the trait: see ``BusyThreads``).
@Suite("BusyThreads: CPU-heavy tests run on threads of their own", .busyThreads)
struct BusyThreadsTests {
    @Test("a synchronous test body runs on a busy-test thread")
    func synchronousBody() {
        #expect(BusyThreads.onBusyThread, "on \(Thread.current.name ?? "an unnamed thread")")
    }

    @Test("an asynchronous body and its child tasks run there too")
    func childTasks() async {
        let places = await withTaskGroup(of: (Bool, String).self) { group in
            for _ in 0..<4 { group.addTask { (BusyThreads.onBusyThread, currentThreadName()) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(places.allSatisfy { $0.0 }, "\(places)")
    }
}

/// The calling thread's name (`Thread.current` is unavailable in async code, on purpose: a task
/// may move between threads; here which thread it is on is the point).
private func currentThreadName() -> String { Thread.current.name ?? "unnamed" }

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
}

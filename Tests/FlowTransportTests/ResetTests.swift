import Dispatch
import FlowCore
import NIOCore
import Testing

@testable import FlowTransport

extension SocketTests {
    @Suite struct Reset {
        @Test func readerOfAResetConnectionGetsTheReason() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            try await within(10, "read after peer reset") { () async throws -> Void in
                let reading = Task { () -> Result<ReadResult, FlowError> in
                    do throws(FlowError) {
                        return .success(try await client.read())
                    } catch {
                        return .failure(error)
                    }
                }
                await server.reset()
                let result = await reading.value
                guard case .failure(let error) = result else {
                    Issue.record("expected a read error, got \(result)")
                    return
                }
                #expect(error.description.contains("reset"))
                #expect(error == FlowError("connection reset by peer", errno: 104))
                // Sticky: a later read fails again.
                await #expect(throws: FlowError.self) { _ = try await client.read() }
                // Our own reset ends our reads and writes at once.
                #expect(try await server.read() == .eof)
                await #expect(throws: WriteError.closed) { try await server.write(buffer("x")) }
            }
            try await connection.closeAll()
        }

        @Test func writerToAResetConnectionGetsTheReason() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            await server.reset()
            let failure: WriteError? = try await within(10, "write after peer reset") {
                for _ in 0..<500 {
                    do throws(WriteError) {
                        try await client.write(ByteBuffer(repeating: 0x61, count: 1024))
                    } catch {
                        return error
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
                return nil
            }
            guard case .failed(let error) = failure else {
                Issue.record("expected WriteError.failed, got \(String(describing: failure))")
                return
            }
            #expect(["connection reset by peer", "broken pipe"].contains(error.message))
            #expect(error.errno == 104 || error.errno == 32)
            // Every later write reports the same failure.
            await #expect(throws: WriteError.failed(error)) { try await client.write(buffer("again")) }
            try await connection.closeAll()
        }

        @Test func resetWakesASuspendedRead() async throws {
            let connection = try await Connection.open()
            let client = connection.client
            try await within(10, "reset wakes a read") {
                let reading = Task { try await client.read() }
                try await Task.sleep(for: .milliseconds(50))
                await client.reset()
                #expect(try await reading.value == .eof)
            }
            try await connection.closeAll()
        }

        /// The RST must leave when `reset()` is called, not when the resetting task next gets a
        /// thread: in a busy process (a saturated cooperative pool) the gap let the peer's whole
        /// transfer be read and dropped first, so the peer never saw a reset mid-transfer.
        @Test func resetSendsTheRSTWhileTheResettingTaskWaitsForAThread() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            let executor = GatedExecutor()
            let resetting = Task(executorPreference: executor) {
                // Runs on the executor once this job ends, that is once reset() suspends for
                // the first time: every later step of reset() waits until the gate opens.
                executor.closeGate()
                await server.reset()
            }
            let peerRead: Result<Result<ReadResult, FlowError>, any Error>
            do {
                peerRead = .success(
                    try await within(5, "the peer sees the reset while the resetting task is held") {
                        () async throws -> Result<ReadResult, FlowError> in
                        do throws(FlowError) {
                            return .success(try await client.read())
                        } catch {
                            return .failure(error)
                        }
                    })
            } catch {
                peerRead = .failure(error)
            }
            executor.openGate()
            await resetting.value
            let result = try peerRead.get()
            #expect(result == .failure(FlowError("connection reset by peer", errno: 104)))
            try await connection.closeAll()
        }
    }
}

/// A serial `TaskExecutor` on a dispatch queue whose jobs can be held back: ``closeGate()``
/// queues a job that blocks the queue until ``openGate()``.
final class GatedExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "GatedExecutor")
    private let gate = DispatchSemaphore(value: 0)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func closeGate() { queue.async { self.gate.wait() } }
    func openGate() { gate.signal() }
}

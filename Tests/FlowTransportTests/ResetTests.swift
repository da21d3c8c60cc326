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
    }
}

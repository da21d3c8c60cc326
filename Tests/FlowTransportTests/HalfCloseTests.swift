import FlowCore
import NIOCore
import Testing

@testable import FlowTransport

extension SocketTests {
    @Suite struct HalfClose {
        @Test func clientShutsFirstThenServerAnswers() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            let response = pseudoRandomBytes(count: 4 * 1024 * 1024, seed: 1)
            try await within(20, "half-close, client first") {
                try await client.write(buffer("request"))
                await client.shutdownWrite()
                #expect(try await readAll(server) == Array("request".utf8))
                #expect(try await server.read() == .eof)
                // The server still writes after the client's FIN; a large answer followed at
                // once by shutdownWrite must arrive whole (no queued byte dropped).
                try await writeAll(server, response)
                await server.shutdownWrite()
                #expect(try await readAll(client, expecting: response.count) == response)
                #expect(try await client.read() == .eof)
            }
            try await connection.closeAll()
        }

        @Test func serverShutsFirstThenClientAnswers() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            try await within(10, "half-close, server first") {
                try await server.write(buffer("greeting"))
                await server.shutdownWrite()
                #expect(try await readAll(client) == Array("greeting".utf8))
                #expect(try await client.read() == .eof)
                try await client.write(buffer("reply"))
                await client.shutdownWrite()
                #expect(try await readAll(server) == Array("reply".utf8))
                #expect(try await server.read() == .eof)
            }
            try await connection.closeAll()
        }

        @Test func writeAfterShutdownWriteIsClosedAndEOFIsSticky() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            try await within(10, "sticky states") {
                await client.shutdownWrite()
                await client.shutdownWrite()  // harmless twice
                await #expect(throws: WriteError.closed) { try await client.write(buffer("late")) }
                await #expect(throws: WriteError.closed) {
                    try await client.writev([buffer("a"), buffer("b")])
                }
                #expect(try await server.read() == .eof)
                #expect(try await server.read() == .eof)
                #expect(try await server.read() == .eof)
                // The other direction is untouched.
                try await server.writev([buffer("one "), buffer("two "), buffer("three")])
                #expect(try await readExactly(client, 13) == Array("one two three".utf8))
            }
            try await connection.closeAll()
            await #expect(throws: WriteError.closed) { try await connection.server.write(buffer("x")) }
            #expect(try await connection.server.read() == .eof)
        }

        @Test func shutdownReadGivesEOFAndWritesGoOn() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            try await within(10, "shutdownRead") {
                try await client.write(buffer("unread"))
                await server.shutdownRead()
                await server.shutdownRead()  // harmless twice
                #expect(try await server.read() == .eof)
                try await server.write(buffer("still writing"))
                await server.shutdownWrite()
                #expect(try await readAll(client) == Array("still writing".utf8))
            }
            try await connection.closeAll()
        }

        @Test func closeFlushesQueuedBytesAndWaitsForThePeer() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            let payload = pseudoRandomBytes(count: 2 * 1024 * 1024, seed: 2)
            try await within(20, "close") {
                try await writeAll(client, payload)
                let closing = Task { await client.close() }
                #expect(try await readAll(server, expecting: payload.count) == payload)
                // The client's close waits for our side; what we send now is drained and dropped.
                try await server.write(buffer("dropped by the closing client"))
                await server.close()
                await closing.value
                #expect(try await client.read() == .eof)
                await #expect(throws: WriteError.closed) { try await client.write(buffer("x")) }
                await client.close()  // harmless twice
            }
            await connection.listener.close()
        }

        @Test func readWaitingIsCancellable() async throws {
            let connection = try await Connection.open()
            let client = connection.client
            try await within(10, "cancel a read") {
                let reading = Task { () -> FlowError? in
                    do throws(FlowError) {
                        _ = try await client.read()
                        return nil
                    } catch {
                        return error
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
                reading.cancel()
                let error = await reading.value
                #expect(error?.message == "read cancelled")
            }
            try await connection.closeAll()
        }
    }
}

extension SocketTests.HalfClose {
    @Test func boundedCloseResetsAPeerThatStaysOpen() async throws {
        let connection = try await Connection.open()
        let (client, server) = (connection.client, connection.server)
        try await within(10, "bounded close") { () async throws -> Void in
            try await client.write(buffer("last words"))
            // The server never closes: the client's close gives up and resets.
            await client.close(waitingAtMost: .milliseconds(200))
            #expect(try await readAll(server) == Array("last words".utf8))
            // The FIN came first, then the reset: the server's writes now fail.
            var failure: WriteError?
            for _ in 0..<200 where failure == nil {
                do throws(WriteError) {
                    try await server.write(buffer("anyone?"))
                } catch {
                    failure = error
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            guard case .failed(let error) = failure else {
                Issue.record("expected WriteError.failed, got \(String(describing: failure))")
                return
            }
            #expect(["connection reset by peer", "broken pipe"].contains(error.message))
        }
        await server.reset()
        await connection.listener.close()
    }
}

extension SocketTests.HalfClose {
    @Test func concurrentReadersAndClosersAllReturn() async throws {
        let connection = try await Connection.open()
        let (client, server) = (connection.client, connection.server)
        try await within(10, "two readers, two closers") { () async throws -> Void in
            async let first = client.read()
            async let second = client.read()
            try await Task.sleep(for: .milliseconds(50))
            try await server.write(buffer("one"))
            await server.shutdownWrite()
            let results = try await [first, second]
            #expect(results.contains(.data(buffer("one"))))
            #expect(results.contains(.eof))
            async let closeA: Void = client.close()
            async let closeB: Void = client.close()
            try await Task.sleep(for: .milliseconds(50))
            await server.close()
            _ = await (closeA, closeB)
        }
        await connection.listener.close()
    }
}

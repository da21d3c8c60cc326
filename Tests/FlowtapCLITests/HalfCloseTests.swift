import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// Half-close end to end through the real binary: every FIN is passed on, for as long as the
/// other direction lives, with no timer.
@Suite("flowtap proxy: half-close end to end", .leavesNoProcesses)
struct HalfCloseTests {
    @Test("the client's FIN is passed on while the server answers 2 s later")
    func clientFinFirstSlowAnswer() async throws {
        let server = try await LoopbackServer { connection in
            let request = await drain(connection)
            try? await Task.sleep(for: .seconds(2))
            try? await connection.write(ByteBuffer(string: "answer to \(request.bytes.count) bytes"))
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--once"])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "GET /slow HTTP/1.0\r\n\r\n"))
        await client.shutdownWrite()
        let reply = await drain(client)
        #expect(String(decoding: reply.bytes, as: UTF8.self) == "answer to 22 bytes")
        #expect(reply.error == nil)
        #expect(try await flowtap.waitExit() == 0)
        #expect(
            sequence(flowtap.events, conn: 1) == [
                "open", "data c2s", "eof c2s", "shutdown c2s", "data s2c", "eof s2c", "shutdown s2c", "close",
            ])
        await client.close()
        await server.close()
    }

    @Test("the server's FIN first, while the client goes on sending")
    func serverFinFirst() async throws {
        let received = ReceivedBytes()
        let server = try await LoopbackServer { connection in
            try? await connection.write(ByteBuffer(string: "220 ready, closing my side\r\n"))
            await connection.shutdownWrite()
            received.set(await drain(connection).bytes)
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--once"])
        let client = try await connect(try await flowtap.listeningPort())
        #expect(text(try await client.read()) == "220 ready, closing my side\r\n")
        #expect(try await client.read() == .eof)
        var sent = ""
        for i in 0..<20 {
            let line = "line \(i) after the server's FIN\r\n"
            sent += line
            try await client.write(ByteBuffer(string: line))
            try await Task.sleep(for: .milliseconds(20))
        }
        await client.shutdownWrite()
        #expect(try await flowtap.waitExit() == 0)
        // The server sets what it received once its read ends; wait for it (bounded).
        for _ in 0..<500 where received.get().count < sent.utf8.count {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(String(decoding: received.get(), as: UTF8.self) == sent)
        let order = sequence(flowtap.events, conn: 1)
        #expect(order.firstIndex(of: "shutdown s2c")! < order.lastIndex(of: "data c2s")!)
        #expect(order.last == "close")
        await client.close()
        await server.close()
    }
}

func text(_ result: ReadResult) -> String? {
    if case .data(let buffer) = result { return String(buffer: buffer) }
    return nil
}

/// Bytes handed from a server task to the test.
final class ReceivedBytes: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func set(_ value: [UInt8]) { bytes.withLock { $0 = value } }
    func get() -> [UInt8] { bytes.withLock { $0 } }
}

import FlowCore
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

@Suite("flowtap proxy: errors are reported with their reason, and the listener lives on", .leavesNoProcesses)
struct ErrorTests {
    @Test(
        "a target that resets mid-transfer: an error event with the reason, the client told, next session served"
    )
    func resetMidTransfer() async throws {
        let server = try await LoopbackServer { connection in
            var total = 0
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                total += chunk.readableBytes
                if total >= 64 * 1024 {
                    await connection.reset()
                    return
                }
            }
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json"])
        let port = try await flowtap.listeningPort()
        let client = try await connect(port)
        // The transfer goes on until the reset has surely come mid-transfer: until a write fails
        // or flowtap has ended the session. A fixed amount (4 MiB) fitted whole in loopback's
        // socket buffers, so a target slow to react (the test process busy with the other suites)
        // reset only after flowtap had forwarded everything, and flowtap then waited for the
        // client, which waited for the `close` event.
        var writeError: WriteError?
        for round in 0..<65_536 {
            do { try await client.write(ByteBuffer(repeating: 0x61, count: 16 * 1024)) } catch {
                writeError = error
                break
            }
            if round % 16 == 15, flowtap.output.contains(where: { $0.contains(#""event":"close""#) }) {
                break
            }
        }
        let tail = await drain(client)
        // The client is told the way a direct peer would tell it: its connection is reset, never
        // ended by a clean FIN flowtap made up (reading then ends with an error, not EOF).
        #expect(
            tail.error?.description == "connection reset by peer",
            "the client's reads ended with \(tail.error.map { "\($0)" } ?? "end-of-file"), writes with \(writeError.map { "\($0)" } ?? "no error")"
        )
        try await flowtap.waitForEvents { !named($0, "close", conn: 1).isEmpty }
        let errors =
            (named(flowtap.events, "read_error", conn: 1) + named(flowtap.events, "write_error", conn: 1))
            .compactMap { $0["error"] as? String }
        #expect(errors.contains { $0.contains("reset") || $0.contains("broken pipe") }, "errors: \(errors)")
        await client.close(waitingAtMost: .seconds(1))
        // The listener keeps serving: a small session goes through whole.
        let next = try await connect(port)
        try await next.write(ByteBuffer(string: "still serving"))
        await next.shutdownWrite()
        _ = await drain(next)
        try await flowtap.waitForEvents { !named($0, "close", conn: 2).isEmpty }
        let close = named(flowtap.events, "close", conn: 2).first!
        #expect((close["c2s"] as? [String: Any])?["write_bytes"] as? Int == 13)
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await next.close(waitingAtMost: .seconds(1))
        await server.close()
    }

    @Test("a target that resets after a partial answer: the client gets the answer, then a reset, no FIN")
    func resetIsPassedOnAsReset() async throws {
        let server = try await LoopbackServer { connection in
            _ = try? await connection.read()
            try? await connection.write(ByteBuffer(string: "partial answer"))
            try? await Task.sleep(for: .milliseconds(200))
            await connection.reset()
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--once"])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "request"))
        await client.shutdownWrite()  // the client has said everything: only the answer is awaited
        let answer = await drain(client)
        #expect(String(decoding: answer.bytes, as: UTF8.self) == "partial answer")
        // Before, flowtap sent a FIN here: a truncated answer looked complete.
        #expect(
            answer.error?.description == "connection reset by peer", "got \(String(describing: answer.error))"
        )
        #expect(try await flowtap.waitExit() == 0)
        let events = sequence(flowtap.events, conn: 1)
        #expect(events.contains("read_error s2c"))
        #expect(!events.contains("eof s2c") && !events.contains("shutdown s2c"), "\(events)")
        #expect(events.last == "close")
        await client.close(waitingAtMost: .seconds(1))
        await server.close()
    }

    @Test("the same listener serves the next session after a reset one")
    func listenerSurvivesReset() async throws {
        let resets = try await LoopbackServer { connection in
            _ = try? await connection.read()
            await connection.reset()
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", resets.target, "--json"])
        let port = try await flowtap.listeningPort()
        for round in 1...3 {
            let client = try await connect(port)
            try await client.write(ByteBuffer(string: "round \(round)"))
            _ = await drain(client)
            await client.close(waitingAtMost: .seconds(1))
        }
        try await flowtap.waitForEvents { named($0, "close").count == 3 }
        #expect(named(flowtap.events, "open").count == 3)
        flowtap.signal(SIGINT)
        #expect(try await flowtap.waitExit() == 0)
        #expect(flowtap.stderr.contains("3 sessions"))
        await resets.close()
    }

    @Test("a refused target: connect_error saying refused, the client closed, the listener alive")
    func refused() async throws {
        // A port bound but never listened on refuses connections, and stays ours for the whole
        // test (a closed listener's port could be taken by a parallel test).
        let refusing = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(refusing) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(refusing, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(refusing, $0, &length) }
        }
        let target = "tcp:127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let flowtap = try FlowtapProcess(["tcp-listen:0", target, "--json"])
        let port = try await flowtap.listeningPort()
        for _ in 0..<2 {
            guard let client = await connectToRefused(port) else { continue }
            let result = await drain(client)
            #expect(result.bytes.isEmpty)
            await client.close(waitingAtMost: .seconds(1))
        }
        try await flowtap.waitForEvents { named($0, "connect_error").count == 2 }
        let error = named(flowtap.events, "connect_error").first!
        #expect((error["error"] as? String) == "connection refused")
        #expect((error["target"] as? String) == String(target.dropFirst(4)))
        #expect(error["conn"] as? Int == 1)
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }
}

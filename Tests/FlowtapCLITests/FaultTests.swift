import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// `--fault` end to end through the real binary: behaviour checks (a delay at least the one
/// set, a rate at most the one set, bytes exact), not speed benchmarks.
@Suite("flowtap proxy: --fault end to end", .leavesNoProcesses)
struct FaultTests {
    @Test("s2c:latency=200ms delays an echo answer by at least 200 ms, bytes exact, fault event first")
    func latency() async throws {
        let server = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--fault", "s2c:latency=200ms",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        var roundTrips: [Duration] = []
        for i in 0..<3 {
            let request = "ping \(i) \(String(repeating: "x", count: 100 * i))"
            let start = ContinuousClock.now
            try await client.write(ByteBuffer(string: request))
            var answer: [UInt8] = []
            while answer.count < request.utf8.count, case .data(let chunk) = try await client.read() {
                answer += chunk.readableBytesView
            }
            roundTrips.append(ContinuousClock.now - start)
            #expect(String(decoding: answer, as: UTF8.self) == request)
        }
        print("measured: s2c:latency=200ms echo round trips \(roundTrips)")
        #expect(roundTrips.allSatisfy { $0 >= .milliseconds(200) })
        await client.shutdownWrite()
        #expect(await drain(client).bytes.isEmpty)
        #expect(try await flowtap.waitExit() == 0)
        let faults = named(flowtap.events, "fault", conn: 1)
        #expect(faults.count == 1)
        #expect(faults.first?["dir"] as? String == "s2c")
        #expect(faults.first?["fault"] as? String == "latency=200ms")
        let order = sequence(flowtap.events, conn: 1)
        #expect(Array(order.prefix(2)) == ["open", "fault s2c"])
        #expect(order.last == "close")
        // Each answer's data event carries the time it was written to the client, after the
        // delay: at least 200 ms after its request's (the echo server answers at once).
        let c2s = named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }
        let s2c = named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "s2c" }
        #expect(c2s.count == 3 && s2c.count >= 3)
        for (request, answer) in zip(c2s, s2c) {
            let delay = (answer["t"] as? Double ?? 0) - (request["t"] as? Double ?? 0)
            #expect(delay >= 0.199, "answer stamped \(delay) s after its request")
        }
        await client.close()
        await server.close()
    }

    @Test("c2s:slice=1,delay=100ms: the server reads the request in separate bytes")
    func sliceByteByByte() async throws {
        let chunks = Mutex<[Int]>([])
        let server = try await LoopbackServer { connection in
            var total = 0
            while total < 6, case .data(let chunk) = (try? await connection.read()) ?? .eof {
                chunks.withLock { $0.append(chunk.readableBytes) }
                total += chunk.readableBytes
            }
            try? await connection.write(ByteBuffer(string: "+PONG\r\n"))
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--fault", "c2s:slice=1,delay=100ms",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "PING\r\n"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "+PONG\r\n")
        #expect(try await flowtap.waitExit() == 0)
        // Each byte is written on its own, 100 ms apart; a server starved of CPU for longer may
        // still read two at once, so the check is on separate reads, not on exactly six.
        let sizes = chunks.withLock { $0 }
        print("measured: c2s:slice=1,delay=100ms, the server's reads: \(sizes)")
        #expect(sizes.reduce(0, +) == 6)
        #expect(sizes.count >= 3, "reads: \(sizes)")
        // One chunk read from the client, six written to the server.
        #expect(named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }.count == 1)
        await client.close()
        await server.close()
    }

    @Test(
        "c2s:slice=1 in front of redis-server: redis-cli still gets PONG and its values",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"))
    )
    func sliceRedis() async throws {
        // SIGKILLed at the end: a SIGTERM (Process.terminate) left redis-servers running after
        // every test run, their SIGTERM blocked by the mask inherited from the test process.
        let redis = try await RedisServer()
        defer { redis.stop() }
        let flowtap = try FlowtapProcess(["tcp-listen:0", redis.target, "--json", "--fault", "c2s:slice=1"])
        let proxyPort = try await flowtap.listeningPort()
        let cli = "/usr/bin/redis-cli"
        let ping = try await runCommand(cli, ["-p", "\(proxyPort)", "PING"])
        #expect(ping.out.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
        let set = try await runCommand(cli, ["-p", "\(proxyPort)", "SET", "flowtap:fault", "sliced value"])
        #expect(set.out.trimmingCharacters(in: .whitespacesAndNewlines) == "OK")
        let get = try await runCommand(cli, ["-p", "\(proxyPort)", "GET", "flowtap:fault"])
        #expect(get.out.trimmingCharacters(in: .whitespacesAndNewlines) == "sliced value")
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test("s2c:bandwidth=512KiB/s: 1 MiB takes at least 1.8 s, bytes exact")
    func bandwidth() async throws {
        let size = 1 << 20
        let rate = 512 * 1024
        let pattern = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try await LoopbackServer { connection in
            var offset = 0
            while offset < size {
                let count = min(65536, size - offset)
                do { try await connection.write(ByteBuffer(bytes: pattern[offset..<offset + count])) } catch {
                    break  // the test's own expectations report the short transfer
                }
                offset += count
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(10))
        }
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--fault", "s2c:bandwidth=512KiB/s",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        let start = ContinuousClock.now
        let received = await drain(client)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("measured: s2c:bandwidth=512KiB/s, 1 MiB in \(elapsed), \(Double(size) / seconds / 1024) KiB/s")
        #expect(received.bytes == pattern)
        #expect(seconds >= Double(size) / Double(rate) * 0.9)
        await client.shutdownWrite()
        #expect(try await flowtap.waitExit() == 0)
        await client.close()
        await server.close()
    }

    @Test("s2c:limit=1KiB: the client gets exactly 1 KiB then end-of-file; its own data still goes")
    func limit() async throws {
        let received = ReceivedBytes()
        let server = try await LoopbackServer { connection in
            try? await connection.write(ByteBuffer(repeating: 0x62, count: 4096))
            received.set(await drain(connection).bytes)
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--fault", "s2c:limit=1KiB",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        let answer = await drain(client)
        #expect(answer.bytes == [UInt8](repeating: 0x62, count: 1024))
        #expect(answer.error == nil)
        try await client.write(ByteBuffer(string: "after the cut"))
        await client.shutdownWrite()
        #expect(try await flowtap.waitExit() == 0)
        #expect(String(decoding: received.get(), as: UTF8.self) == "after the cut")
        await client.close()
        await server.close()
    }

    @Test("c2s:reset=now: the first request resets both sides")
    func reset() async throws {
        let server = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "--fault", "c2s:reset=now",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "hello"))
        let answer = await drain(client)
        #expect(answer.bytes.isEmpty)
        #expect(answer.error != nil)
        #expect(try await flowtap.waitExit() == 0)
        let errors =
            (named(flowtap.events, "read_error", conn: 1) + named(flowtap.events, "write_error", conn: 1))
            .compactMap { $0["error"] as? String }
        #expect(errors.contains("connection reset by fault"), "errors: \(errors)")
        await client.close()
        await server.close()
    }

    @Test("fault events go into the capture; view --json gives them back")
    func captured() async throws {
        let server = try await LoopbackServer.echo()
        let file =
            NSTemporaryDirectory() + "flowtap-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-fault.pcapng"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", server.target, "--json", "--once", "-w", file, "--fault", "both:slowclose=10ms",
        ])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "hello"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "hello")
        #expect(try await flowtap.waitExit() == 0)
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--headless", "--json"])
        #expect(view.status == 0, "\(view.err)")
        let replayed = view.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let faults = named(replayed, "fault", conn: 1).map { "\($0["dir"]!) \($0["fault"]!)" }
        #expect(faults.sorted() == ["c2s slowclose=10ms", "s2c slowclose=10ms"])
        await client.close()
        await server.close()
    }

    @Test("a bad --fault exits 2 and names the part")
    func badFault() async throws {
        let result = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:9", "--fault", "s2c:latency=abc"])
        #expect(result.status == 2)
        #expect(
            result.err
                == "flowtap: --fault \"s2c:latency=abc\": bad duration \"abc\" (expected e.g. 200ms, 1.5s)\n")
    }
}

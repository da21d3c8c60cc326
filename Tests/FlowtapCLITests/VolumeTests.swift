import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// A deterministic stream: unit k is an 8-byte counter followed by a fixed pseudo-random block,
/// so loss, duplication and reordering of any part are all detected.
struct PatternStream {
    static let block: [UInt8] = {
        var rng = UInt64(0x5EED)
        return (0..<(256 * 1024 - 8)).map { _ in
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: rng >> 33)
        }
    }()
    static let unitSize = block.count + 8

    static func unit(_ k: Int, salt: UInt8) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(unitSize)
        buffer.writeInteger(UInt64(k))
        buffer.writeBytes(block)
        if salt != 0 { buffer.setInteger(salt, at: 8) }
        return buffer
    }

    /// Checks a received stream unit by unit; returns the number of whole units that matched, or
    /// -1 at the first mismatch.
    struct Checker {
        var pending = ByteBuffer()
        var units = 0
        let salt: UInt8
        var ok = true

        mutating func feed(_ chunk: ByteBuffer) {
            guard ok else { return }
            var chunk = chunk
            pending.writeBuffer(&chunk)
            while ok && pending.readableBytes >= unitSize {
                let got = pending.readSlice(length: unitSize)!
                if got != unit(units, salt: salt) { ok = false }
                units += 1
            }
            pending.discardReadBytes()
        }
    }
}

@Suite("flowtap proxy: volume and concurrency", .serialized, .leavesNoProcesses)
struct VolumeTests {
    @Test("256 MiB each way at once arrive identical")
    func bulkBothWays() async throws {
        let units = 256 * 1024 * 1024 / PatternStream.unitSize
        let serverResult = ReceivedCount()
        let server = try await LoopbackServer { connection in
            async let sending: Void = {
                for k in 0..<units {
                    do { try await connection.write(PatternStream.unit(k, salt: 2)) } catch { return }
                }
                await connection.shutdownWrite()
            }()
            var checker = PatternStream.Checker(salt: 1)
            while case .data(let chunk) = (try? await connection.read()) ?? .eof { checker.feed(chunk) }
            await sending
            serverResult.set(checker.ok && checker.pending.readableBytes == 0 ? checker.units : -1)
            await connection.close(waitingAtMost: .seconds(5))
        }
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--once"])
        let client = try await connect(try await flowtap.listeningPort())
        async let clientSends: Void = {
            for k in 0..<units { try await client.write(PatternStream.unit(k, salt: 1)) }
            await client.shutdownWrite()
        }()
        var checker = PatternStream.Checker(salt: 2)
        while case .data(let chunk) = try await client.read() { checker.feed(chunk) }
        try await clientSends
        #expect(checker.ok && checker.pending.readableBytes == 0)
        #expect(checker.units == units)
        #expect(try await flowtap.waitExit(timeout: 120) == 0)
        // The server's handler sets its count after its last read: flowtap may have exited first.
        try await serverResult.wait(timeout: .seconds(30))
        #expect(serverResult.get() == units)
        let close = named(flowtap.events, "close").first
        #expect((close?["c2s"] as? [String: Any])?["write_bytes"] as? Int == units * PatternStream.unitSize)
        #expect((close?["s2c"] as? [String: Any])?["write_bytes"] as? Int == units * PatternStream.unitSize)
        await client.close()
        await server.close()
    }

    @Test("1,000 sessions held at once, all byte-exact, and flowtap's descriptors return to the baseline")
    func concurrentSessions() async throws {
        raiseDescriptorLimit()
        let echo = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess(["tcp-listen:0", echo.target, "--json"])
        let port = try await flowtap.listeningPort()
        // Warm up: NIO creates a timerfd per event loop at its first timer (connect timeouts).
        for _ in 0..<8 {
            let warm = try await connect(port)
            await warm.shutdownWrite()
            _ = await drain(warm)
            await warm.close(waitingAtMost: .seconds(2))
        }
        try await flowtap.waitForEvents { named($0, "close").count == 8 }
        try await Task.sleep(for: .milliseconds(200))
        let baseline = flowtap.openDescriptors
        let sessions = 1000  // DESIGN.md §8
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            // Open all first, and wait until flowtap holds all of them (each connected on to
            // the target) before any byte moves.
            var clients: [SocketFlow] = []
            for _ in 0..<sessions { clients.append(try await connect(port)) }
            try await flowtap.waitForEvents(timeout: 60) { named($0, "open").count == sessions + 8 }
            #expect(named(flowtap.events, "close").count == 8, "every session is still open")
            #expect(flowtap.openDescriptors >= baseline + 2 * sessions, "two sockets a session")
            for (i, client) in clients.enumerated() {
                group.addTask {
                    let payload = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
                    try await client.write(ByteBuffer(bytes: payload))
                    await client.shutdownWrite()
                    let echoed = await drain(client)
                    await client.close(waitingAtMost: .seconds(5))
                    return echoed.bytes == payload
                }
            }
            var ok = 0
            for try await result in group where result { ok += 1 }
            return ok
        }
        #expect(results == sessions)
        try await flowtap.waitForEvents(timeout: 60) { named($0, "close").count == sessions + 8 }
        var after = flowtap.openDescriptors
        for _ in 0..<100 where after > baseline {
            try await Task.sleep(for: .milliseconds(50))
            after = flowtap.openDescriptors
        }
        #expect(after == baseline, "descriptors: \(baseline) before, \(after) after")
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await echo.close()
    }
}

/// A count one task sets once it knows it (0 until then).
final class ReceivedCount: Sendable {
    private let value = Mutex(0)
    func set(_ v: Int) { value.withLock { $0 = v } }
    func get() -> Int { value.withLock { $0 } }

    /// Waits (polling, at most `timeout`) until the count was set.
    func wait(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while get() == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}

func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

import FlowCore
import FlowTestSupport
import NIOCore
import TestSupport
import Testing

/// Seeded random chunk sequences through the core: nothing lost, duplicated or reordered.
@Suite("Property: random traffic arrives byte-identical", .busyThreads)
struct PropertyTests {
    static func chunks(_ rng: inout SeededRandom, maxCount: Int = 24, maxSize: Int = 700) -> [ByteBuffer] {
        (0..<Int.random(in: 0...maxCount, using: &rng)).map { _ in
            let size = Int.random(in: 1...maxSize, using: &rng)
            let seed = UInt8.random(in: 0...255, using: &rng)
            return ByteBuffer(bytes: (0..<size).map { seed &+ UInt8(truncatingIfNeeded: $0) })
        }
    }

    @Test("Pipe → copy → Pipe keeps bytes and chunk boundaries (2,000 seeds)")
    func pipeCopyPipe() async throws {
        for seed in 0..<2000 {
            var rng = SeededRandom(seed: UInt64(seed))
            let sent = Self.chunks(&rng)
            let (writer, copierIn) = Pipe.pair(capacity: Int.random(in: 1...2048, using: &rng))
            let (copierOut, reader) = Pipe.pair(capacity: Int.random(in: 1...2048, using: &rng))
            let pauseEvery = Int.random(in: 1...8, using: &rng)
            async let copied: Stats = {
                let stats = try await copy(from: copierIn, to: copierOut)
                await copierOut.shutdownWrite()
                return stats
            }()
            async let received = readAll(reader)
            for (i, chunk) in sent.enumerated() {
                try await writer.write(chunk)
                if i % pauseEvery == 0 { await Task.yield() }
            }
            await writer.shutdownWrite()
            let got = try await received
            let stats = try await copied
            #expect(got == sent, "seed \(seed)")
            #expect(stats.readOps == sent.count && stats.writeBytes == joined(sent).count, "seed \(seed)")
        }
    }

    @Test("proxy both ways at once, with random half-close timing (1,000 seeds)")
    func proxyBothWays() async throws {
        for seed in 0..<1000 {
            var rng = SeededRandom(seed: UInt64(seed) &+ 77)
            let up = Self.chunks(&rng)
            let down = Self.chunks(&rng)
            let capacity = Int.random(in: 1...4096, using: &rng)
            let (client, proxyA) = Pipe.pair(capacity: capacity)
            let (proxyB, server) = Pipe.pair(capacity: capacity)
            // Each side sends its chunks while reading; it shuts its write side after a random
            // number of its chunks read by the other side... or right away.
            let clientFinFirst = Bool.random(using: &rng)
            let yieldMask = Int.random(in: 0...3, using: &rng)
            async let stats = proxy(proxyA, proxyB, clock: ManualClock())
            async let serverGot = readAll(server)
            async let clientGot = readAll(client)
            async let clientSends: Void = {
                if !clientFinFirst { await Task.yield() }
                for (i, chunk) in up.enumerated() {
                    try await client.write(chunk)
                    if i & yieldMask == 0 { await Task.yield() }
                }
                await client.shutdownWrite()
            }()
            async let serverSends: Void = {
                if clientFinFirst { await Task.yield() }
                for (i, chunk) in down.enumerated() {
                    try await server.write(chunk)
                    if i & yieldMask == 1 { await Task.yield() }
                }
                await server.shutdownWrite()
            }()
            try await clientSends
            try await serverSends
            #expect(try await serverGot == up, "seed \(seed)")
            #expect(try await clientGot == down, "seed \(seed)")
            let (s1, s2) = try await stats
            #expect(s1.writeBytes == joined(up).count && s2.writeBytes == joined(down).count, "seed \(seed)")
        }
    }
}

import FlowCore
import NIOCore
import Synchronization
import Testing

@testable import FlowTransport

extension SocketTests {
    @Suite struct Volume {
        @Test func stalledReaderPushesBackOnTheWriter() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            let payload = pseudoRandomBytes(count: 32 * 1024 * 1024, seed: 3)
            let written = Atomic<Int>(0)
            let writer = Task {
                var offset = 0
                while offset < payload.count {
                    let end = min(offset + 64 * 1024, payload.count)
                    try await client.write(ByteBuffer(bytes: payload[offset..<end]))
                    written.store(end, ordering: .relaxed)
                    offset = end
                }
                await client.shutdownWrite()
            }
            // The server reads nothing: the writer must come to a stop well short of the end.
            let stalledAt = try await within(20, "the writer stalls") { () -> Int in
                var last = -1
                while true {
                    try await Task.sleep(for: .milliseconds(300))
                    let now = written.load(ordering: .relaxed)
                    if now == last { return now }
                    last = now
                }
            }
            #expect(stalledAt < payload.count)
            // Bounded inbound buffering: the high watermark plus at most one read cycle.
            #expect(
                queuedInboundBytes(server) <= TransportTuning.inboundHighWatermark + 4
                    * TransportTuning.maximumReadSize)
            let received = try await within(30, "drain") {
                try await readAll(server, expecting: payload.count)
            }
            try await within(10, "writer ends") { try await writer.value }
            #expect(received.count == payload.count)
            #expect(received == payload)
            try await connection.closeAll()
        }

        @Test func bulkBothWaysAtOnce() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            let size = 64 * 1024 * 1024
            let up = pseudoRandomBytes(count: size, seed: 4)
            let down = pseudoRandomBytes(count: size, seed: 5)
            try await within(90, "64 MiB each way") {
                async let sendUp: Void = {
                    try await writeAll(client, up, chunkSize: 100_000)
                    await client.shutdownWrite()
                }()
                async let sendDown: Void = {
                    try await writeAll(server, down, chunkSize: 65_536)
                    await server.shutdownWrite()
                }()
                async let gotUp = readAll(server, expecting: size)
                async let gotDown = readAll(client, expecting: size)
                try await sendUp
                try await sendDown
                let (receivedUp, receivedDown) = try await (gotUp, gotDown)
                #expect(receivedUp.count == size)
                #expect(receivedDown.count == size)
                #expect(receivedUp == up)
                #expect(receivedDown == down)
            }
            try await connection.closeAll()
        }

        @Test func forwardingPinnedToTheEventLoop() async throws {
            // Two connections glued by FlowCore's proxy, each direction on its source's loop.
            let front = try await Connection.open()
            let back = try await Connection.open()
            let payload = pseudoRandomBytes(count: 8 * 1024 * 1024, seed: 6)
            try await within(30, "proxy through two socket pairs") {
                let proxying = Task {
                    try await withTaskExecutorPreference(front.server.taskExecutor) {
                        #expect(front.server.eventLoop.inEventLoop)
                        return try await proxy(front.server, back.client)
                    }
                }
                async let sent: Void = {
                    try await writeAll(front.client, payload)
                    await front.client.shutdownWrite()
                }()
                let echoed = try await readAll(back.server, expecting: payload.count)
                try await sent
                #expect(echoed == payload)
                try await back.server.write(buffer("done"))
                await back.server.shutdownWrite()
                #expect(try await readAll(front.client) == Array("done".utf8))
                let (aToB, bToA) = try await proxying.value
                #expect(aToB.readBytes == payload.count)
                #expect(bToA.readBytes == 4)
            }
            try await front.closeAll()
            try await back.closeAll()
        }

        @Test func noFileDescriptorLeaks() async throws {
            // Warm up NIO's event loops and resolver first.
            try await Connection.open().closeAll()
            let baseline = openFileDescriptorCount()
            let listener = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
            let port = listener.localSocketAddress!.port!
            try await within(60, "200 connections") {
                for round in 0..<20 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<10 {
                            group.addTask {
                                let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
                                try await client.write(buffer("hello \(round) \(index)"))
                                await client.close()
                            }
                            group.addTask {
                                guard let server = try await listener.accept() else { return }
                                _ = try await readAll(server)
                                await server.close()
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // One more, aborted.
                let aborted = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
                let accepted = try await listener.accept()
                await aborted.reset()
                await accepted?.reset()
                await listener.close()
            }
            var count = openFileDescriptorCount()
            for _ in 0..<50 where count > baseline {
                try await Task.sleep(for: .milliseconds(100))
                count = openFileDescriptorCount()
            }
            #expect(count <= baseline, "open file descriptors: \(baseline) before, \(count) after")
        }
    }
}

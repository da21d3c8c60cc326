import FlowCore
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import FlowTransport

extension SocketTests {
    @Suite struct Endpoints {
        @Test func refusedConnectSaysSo() async throws {
            // A port that is bound but not listening refuses connections, and stays ours for the
            // whole test (a closed listener's port could be taken by a parallel test).
            let bound = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(bound >= 0)
            defer { close(bound) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    bind(bound, raw, length) == 0 && getsockname(bound, raw, &length) == 0
                }
            }
            #expect(named)
            let port = Int(UInt16(bigEndian: address.sin_port))
            let error = try await within(15, "refused connect") { () -> TransportError? in
                do throws(TransportError) {
                    _ = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
                    return nil
                } catch {
                    return error
                }
            }
            #expect(error?.description == "cannot connect to 127.0.0.1:\(port): connection refused")
            #expect(error?.reason == "connection refused")
            #expect(error?.errno == 111)
        }

        @Test func portInUseSaysSo() async throws {
            let first = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
            let port = first.localSocketAddress!.port!
            #expect(first.localAddress == "127.0.0.1:\(port)")
            #expect(port != 0)
            await #expect {
                _ = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: port))
            } throws: { error in
                (error as? TransportError)?.description
                    == "cannot listen on 127.0.0.1:\(port): address already in use"
            }
            await first.close()
        }

        @Test func wrongKindOfAddressIsRefused() async throws {
            await #expect {
                _ = try await Listener.bind(.tcp(host: "127.0.0.1", port: 1))
            } throws: { error in
                (error as? TransportError)?.reason.contains("not a listen address") == true
            }
            await #expect {
                _ = try await Connector.connect(.tcpListen(host: "127.0.0.1", port: 1))
            } throws: { error in
                (error as? TransportError)?.reason.contains("not a connect address") == true
            }
        }

        @Test func missingUnixSocketSaysSo() async throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/absent.sock"
            await #expect {
                _ = try await Connector.connect(.unix(path: path))
            } throws: { error in
                (error as? TransportError)?.description
                    == "cannot connect to \(path): no such file or directory"
            }
        }

        @Test func acceptReturnsNilOnceClosed() async throws {
            let listener = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
            try await within(10, "accept after close") {
                let waiting = Task { try await listener.accept() }
                try await Task.sleep(for: .milliseconds(50))
                await listener.close()
                #expect(try await waiting.value == nil)
                #expect(try await listener.accept() == nil)
                await listener.close()  // harmless twice
            }
        }

        @Test func addressesArePrintable() async throws {
            let connection = try await Connection.open()
            let (client, server) = (connection.client, connection.server)
            #expect(client.remoteAddress == connection.listener.localAddress)
            #expect(server.localAddress == connection.listener.localAddress)
            #expect(client.localAddress == server.remoteAddress)
            #expect(client.localAddress.hasPrefix("127.0.0.1:"))
            #expect(client.remoteSocketAddress?.port == connection.listener.localSocketAddress?.port)
            // Both ends send small writes at once (no Nagle delay).
            for flow in [client, server] {
                let noDelay = try await flow.core.channel.getOption(.tcpOption(.tcp_nodelay)).get()
                #expect(noDelay != 0)
            }
            try await connection.closeAll()
        }

        @Test func unixSocketsBothWays() async throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/s.sock"
            let connection = try await Connection.open(.unixListen(path: path))
            let (client, server) = (connection.client, connection.server)
            #expect(connection.listener.localAddress == path)
            #expect(client.remoteAddress == path)
            #expect(server.localAddress == path)
            #expect(server.remoteAddress == "unix:" + path)
            try await within(10, "unix exchange") {
                try await client.write(buffer("ping"))
                await client.shutdownWrite()
                #expect(try await readAll(server) == Array("ping".utf8))
                try await server.write(buffer("pong"))
                await server.shutdownWrite()
                #expect(try await readAll(client) == Array("pong".utf8))
            }
            // A second listener on a live socket is refused.
            await #expect {
                _ = try await Listener.bind(.unixListen(path: path))
            } throws: { error in
                (error as? TransportError)?.reason == "address already in use"
            }
            try await connection.closeAll()
            #expect(!FileManager.default.fileExists(atPath: path))
        }

        @Test func staleUnixSocketIsReplacedButOtherFilesAreNot() async throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // A socket file nobody listens on: bound, never listened, closed.
            let stale = directory + "/stale.sock"
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(stale.utf8)) }
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            close(fd)
            #expect(bound == 0)
            let listener = try await Listener.bind(.unixListen(path: stale))
            let connection = try await within(10, "connect to replaced socket") {
                try await Connector.connect(.unix(path: stale))
            }
            await connection.reset()
            await listener.close()

            let regular = directory + "/regular"
            _ = FileManager.default.createFile(atPath: regular, contents: Data("keep".utf8))
            await #expect {
                _ = try await Listener.bind(.unixListen(path: regular))
            } throws: { error in
                (error as? TransportError)?.description
                    == "cannot listen on \(regular): file exists and is not a socket"
            }
            #expect(FileManager.default.contents(atPath: regular) == Data("keep".utf8))
        }

        @Test(.enabled(if: Machine.ipv6LoopbackAvailable(), "::1 is not configured on this machine"))
        func ipv6Loopback() async throws {
            let connection = try await Connection.open(.tcpListen(host: "::1", port: 0))
            let (client, server) = (connection.client, connection.server)
            let port = connection.listener.localSocketAddress!.port!
            #expect(connection.listener.localAddress == "[::1]:\(port)")
            #expect(client.remoteAddress == "[::1]:\(port)")
            #expect(server.remoteAddress == client.localAddress)
            try await within(10, "IPv6 exchange") {
                try await client.write(buffer("six"))
                #expect(try await readExactly(server, 3) == Array("six".utf8))
                try await server.write(buffer("back"))
                #expect(try await readExactly(client, 4) == Array("back".utf8))
            }
            try await connection.closeAll()
        }
    }
}

extension SocketTests.Endpoints {
    @Test func acceptingPausesWhileTheQueueIsFullThenResumes() async throws {
        let listener = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
        let target = Address.tcp(host: "127.0.0.1", port: listener.localSocketAddress!.port!)
        let count = 200  // more than the queue holds (128); the rest wait in the backlog
        try await within(30, "200 connections queued, then accepted") {
            var clients: [SocketFlow] = []
            for index in 0..<count {
                let client = try await Connector.connect(target)
                try await client.write(buffer("client \(index)"))
                clients.append(client)
            }
            // Accepting paused at the limit: the queue holds 128 (give or take one read cycle).
            while listener.queue.count < TransportTuning.acceptQueueLimit {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(listener.queue.count <= TransportTuning.acceptQueueLimit + 8)
            var servers: [SocketFlow] = []
            for _ in 0..<count {
                guard let server = try await listener.accept() else { break }
                servers.append(server)
            }
            #expect(servers.count == count)
            // Every accepted flow is one of our clients, each exactly once.
            #expect(Set(servers.map(\.remoteAddress)) == Set(clients.map(\.localAddress)))
            for flow in clients + servers { await flow.reset() }
            await listener.close()
        }
    }
}

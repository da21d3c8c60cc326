import FlowCore
import FlowEvents
import FlowTransport
import Synchronization
import Testing

@testable import FlowTapKit

#if canImport(Glibc)
    import Glibc
#endif

/// ``Inspector/stop()`` with a session its FINs cannot end: after the grace a reset, and it
/// returns once the session has ended.
@Suite("Inspector.stop: FIN both ways, reset after the grace, returns when all have ended")
struct InspectorStopTests {
    @Test(
        "a session held by a blackhole fault (its FIN never passes) and peers that never close: stop returns, the session closed, the client reset"
    )
    func stopResetsWhatOutlivesTheGrace() async throws {
        // The target reads to end-of-file and then keeps its socket open, never closing.
        let target = try await Listener.bind(.tcpListen(host: "127.0.0.1", port: 0))
        let held = Mutex<[SocketFlow]>([])
        let serving = Task {
            while let connection = try? await target.accept() {
                held.withLock { $0.append(connection) }
                Task { while case .data = (try? await connection.read()) ?? .eof {} }
            }
        }
        var options = Inspector.Options()
        options.stopGrace = .milliseconds(300)
        // Nothing arrives and nothing closes: only a reset ends this session.
        options.faults = [try FaultSpec.parse("both:blackhole")]
        let events = EventCollector()
        let inspector = try await Inspector.bind(
            listen: .tcpListen(host: "127.0.0.1", port: 0),
            target: .tcp(host: "127.0.0.1", port: target.localSocketAddress?.port ?? 0), options: options,
            observers: [events])
        let running = Task { await inspector.run() }
        let client = try RawClient(port: Int(inspector.listenAddress.split(separator: ":").last!)!)
        #expect(client.send("hello") == 5)
        // The session runs with its faults (its chunk, held by the blackhole, never reaches the
        // target, so it has no data event).
        try await waitUntil {
            events.all.contains { $0.kind == .fault(.c2s, "blackhole") }
                && events.all.contains { $0.kind == .fault(.s2c, "blackhole") }
        }

        // A guard, not a measure: a stop that never resets would wait forever.
        let stopped = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await inspector.stop()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        try #require(stopped, "stop() did not return: the session was never reset")
        #expect(events.names.last == "close")
        await running.value
        // The reset reached the client: a write now fails.
        #expect(client.send("late") == -1, "the client's socket was not reset")
        #expect(inspector.registry.liveCount == 0)

        await target.close()
        serving.cancel()
        for connection in held.withLock({ $0 }) { await connection.reset() }
    }
}

/// A blocking TCP client on loopback, plain BSD sockets: it sees what a reset does to a send.
final class RawClient: Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw FlowError("connect failed: errno \(errno)") }
    }

    /// `send(2)` of `text`: the bytes sent, or -1.
    func send(_ text: String) -> Int {
        Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    deinit { close(fd) }
}

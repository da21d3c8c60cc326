import FlowCore
import FlowTransport
import NIOCore
import Synchronization
import Testing

/// A server on loopback, run in the test process with FlowTransport, whose every connection is
/// handled by `handler`.
final class LoopbackServer: Sendable {
    let listener: Listener
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(
        _ address: Address = .tcpListen(host: "127.0.0.1", port: 0),
        handler: @escaping @Sendable (SocketFlow) async -> Void
    ) async throws {
        listener = try await Listener.bind(address)
        let listener = self.listener
        task.withLock {
            $0 = Task {
                await withDiscardingTaskGroup { group in
                    while let connection = try? await listener.accept() {
                        group.addTask { await handler(connection) }
                    }
                }
            }
        }
    }

    var port: Int { listener.localSocketAddress?.port ?? 0 }
    var target: String { "tcp:127.0.0.1:\(port)" }

    func close() async {
        await listener.close()
        task.withLock { $0 }?.cancel()
    }

    /// An echo server: writes back every chunk, passes the client's FIN on, then closes.
    static func echo(_ address: Address = .tcpListen(host: "127.0.0.1", port: 0)) async throws
        -> LoopbackServer
    {
        try await LoopbackServer(address) { connection in
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                do { try await connection.write(chunk) } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
    }
}

/// Reads a flow to its end; a read error ends it too.
func drain(_ flow: some Flow) async -> (bytes: [UInt8], error: FlowError?) {
    var bytes: [UInt8] = []
    while true {
        do {
            guard case .data(let chunk) = try await flow.read() else { return (bytes, nil) }
            bytes += chunk.readableBytesView
        } catch {
            return (bytes, error)
        }
    }
}

func connect(_ port: Int) async throws -> SocketFlow {
    try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
}

/// Connects to flowtap on `port` when its target refuses: flowtap then resets the client, and
/// the reset can come before this side's connect is complete. Returns the client, or `nil` when
/// the connect itself met the reset (any other failure of the connect is a test issue).
func connectToRefused(_ port: Int, sourceLocation: SourceLocation = #_sourceLocation) async -> SocketFlow? {
    do {
        return try await connect(port)
    } catch {
        #expect("\(error)".contains("reset"), "\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

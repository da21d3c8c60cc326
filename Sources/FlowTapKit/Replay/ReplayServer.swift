import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport

/// A stub server from a recording: listens, and plays the server's side of a captured session
/// to every client that connects (numbered 1, 2, 3…, each reported as a session: `open`, the
/// events of ``Replayer``, `close`).
///
/// With `wait-reply` timing (the default) each captured answer is sent once the client has sent
/// at least as many bytes as the captured client had sent before it (or has sent FIN, or the
/// reply timeout passed); the FIN goes where the captured server sent it. Each client's bytes
/// are compared with the captured client's, and the ``Replayer/Result`` goes to `onResult`.
public final class ReplayServer: Sendable {
    /// The address listened on, with the real port: `"127.0.0.1:43117"`.
    public let listenAddress: String
    private let listener: Listener
    private let script: ReplayScript
    private let options: Replayer.Options
    private let once: Bool
    private let emit: @Sendable (SessionEvent) -> Void
    private let onResult: @Sendable (Replayer.Result) -> Void
    private let registry = SessionRegistry<Never>()

    private init(
        listener: Listener, script: ReplayScript, options: Replayer.Options, once: Bool,
        emit: @escaping @Sendable (SessionEvent) -> Void,
        onResult: @escaping @Sendable (Replayer.Result) -> Void
    ) {
        self.listener = listener
        self.listenAddress = listener.localAddress
        self.script = script
        self.options = options
        self.once = once
        self.emit = emit
        self.onResult = onResult
    }

    /// Binds `listen` and reports `listening` with the real address. With `once`, ``run()``
    /// returns after the first client has been served.
    /// - Throws: ``TransportError`` when the address cannot be listened on.
    public static func bind(
        listen: Address, script: ReplayScript, options: Replayer.Options = Replayer.Options(),
        once: Bool = false, emit: @escaping @Sendable (SessionEvent) -> Void,
        onResult: @escaping @Sendable (Replayer.Result) -> Void
    ) async throws(TransportError) -> ReplayServer {
        let listener = try await Listener.bind(listen)
        let server = ReplayServer(
            listener: listener, script: script, options: options, once: once, emit: emit, onResult: onResult)
        emit(SessionEvent(conn: nil, .listening(address: listener.localAddress)))
        return server
    }

    /// Serves clients until ``stop()`` (or, with `once`, until the first one is served), then
    /// waits for the clients being served. Like the proxy's, the ``AcceptLoop`` reports accept
    /// failures and goes on, and pauses at the descriptor budget's session cap.
    public func run() async {
        let loop = AcceptLoop(listener: listener, limit: DescriptorBudget.measure().sessionCap, emit: emit)
        await loop.run(in: registry) { client, id in
            if self.once { await self.listener.close() }
            await self.serve(client, id: id)
        }
    }

    /// Stops accepting; clients being served finish their replay (each bounded by its timeouts).
    public func stop() async {
        await listener.close()
    }

    private func serve(_ client: SocketFlow, id: Int) async {
        emit(
            SessionEvent(
                conn: id,
                .open(
                    client: PeerAddress(client.remoteSocketAddress, text: client.remoteAddress),
                    target: PeerAddress(client.localSocketAddress, text: client.localAddress))))
        let result = await withTaskExecutorPreference(client.taskExecutor) {
            await Replayer.play(script, role: .server, over: client, conn: id, options: options, emit: emit)
        }
        onResult(result)
    }
}

import FlowEvents
import FlowTransport

/// Where one accepted client's session goes, decided before its flows exist: the inspector's
/// fixed target, or the one the client's proxy handshake named (``request``); and whether
/// `--only` lets the session be observed.
struct SessionRoute: Sendable {
    /// The connect address.
    let target: Address
    /// The proxy client's request, on a proxy listener.
    let request: ProxyRequest?
    /// Whether the session is observed (`--only` matches it, or there is no `--only`).
    let observed: Bool

    /// Answers a failed connect: a proxy client in its protocol, then FIN and a bounded close
    /// (never a reset, which could destroy the answer); a direct client with a reset, as a
    /// refused target would.
    func refuse(_ client: SocketFlow, _ error: TransportError) async {
        guard let request else {
            await client.reset()
            return
        }
        await request.refuse(client, reason: error.reason, errno: error.errno)
        await client.close(waitingAtMost: .seconds(2))
    }

    /// Answers a connect that succeeded (a proxy client is told; see
    /// ``FlowTransport/ProxyRequest/accept(_:bound:)``) and returns the flow the session reads
    /// the client through. When the answer cannot be written (the client left), reports
    /// `handshake_error` to `emit` (if observed), closes both sockets and returns nil.
    func accept(
        _ client: SocketFlow, server: SocketFlow, id: Int, emit: (SessionEvent) -> Void
    ) async -> ProxiedClientFlow? {
        guard let request else { return ProxiedClientFlow(client) }
        do {
            return try await request.accept(client, bound: server.localSocketAddress)
        } catch {
            if observed {
                let address = PeerAddress(client.remoteSocketAddress, text: client.remoteAddress)
                emit(
                    SessionEvent(
                        conn: id,
                        .handshakeError(
                            client: address, error: "the client left before the proxy's answer: \(error)")))
            }
            await client.reset()
            await server.close(waitingAtMost: .seconds(2))
            return nil
        }
    }
}

import FlowCore
import FlowEvents
import FlowTransport

extension Inspector {
    /// `--intercept-tls` on a proxy listener, after the proxy's answer (the client was held
    /// by ``FlowTransport/SocketFlow/holdForClientHello()`` before it): when the client's first
    /// bytes are a TLS ClientHello, finishes a TLS handshake with the target first (its SNI the
    /// client's, else the name or host the client asked the proxy for; the client's ALPN list
    /// offered), then answers the client with a certificate minted for that name and the
    /// server's ALPN choice, each handshake a `tls` event, as `tls-listen:` → `tls:` does. A
    /// session that is not TLS (bytes that are no ClientHello, a server that speaks first, an
    /// HTTP request forwarded in origin-form, bytes sent before the proxy's answer) goes on
    /// untouched, its held bytes first.
    ///
    /// - Returns: `false` when a handshake failed: reported as `tls_error` (`side` says which),
    ///   both peers reset, never closed cleanly; the session must not open.
    func interceptTLS(_ clientFlow: ProxiedClientFlow, server: SocketFlow, route: SessionRoute, id: Int) async
        -> Bool
    {
        let client = clientFlow.socket
        let clientAddress = PeerAddress(client.remoteSocketAddress, text: client.remoteAddress)
        guard let environment = options.tls, clientFlow.readsSocketDirectly else {
            await client.releaseHeldBytes()
            return true
        }
        guard case .clientHello(let hello) = await client.sniffTLS(server: server) else {
            await client.releaseHeldBytes()
            return true
        }
        let name = hello.serverName ?? route.request?.target.name ?? Self.host(of: route.target)
        let serverTLS: TLSConnection
        do {
            serverTLS = try await server.startClientTLS(
                environment: environment, serverName: name, protocols: hello.applicationProtocols)
        } catch {
            emit(Self.tlsError(conn: id, side: .server, error.reason, client: clientAddress))
            await client.reset()
            return false
        }
        emit(SessionEvent(conn: id, .tls(Self.summary(connection: serverTLS, side: .server))))
        let clientTLS: TLSConnection
        do {
            clientTLS = try await client.startServerTLS(
                environment: environment, name: name,
                protocols: serverTLS.handshake.applicationProtocol.map { [$0] } ?? [])
        } catch {
            emit(Self.tlsError(conn: id, side: .client, error.reason, client: clientAddress))
            await server.reset()
            await client.reset()
            return false
        }
        emit(SessionEvent(conn: id, .tls(Self.summary(connection: clientTLS, side: .client))))
        watchTruncation(client: clientTLS, server: serverTLS, id: id, clientAddress: clientAddress)
        return true
    }
}

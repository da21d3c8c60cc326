import FlowCore
import FlowEvents
import FlowTransport

extension Inspector {
    /// Where client `id`'s session goes (see ``SessionRoute``). On a proxy listener, reads the
    /// client's handshake first (``FlowTransport/ProxyHandshake``, within
    /// ``Options/handshakeTimeLimit``); a failed one is reported as `handshake_error` (the
    /// client had the protocol's error answer and a FIN), the client is closed, and nil is
    /// returned.
    ///
    /// A later TLS interception step (`--intercept-tls`) belongs after this: once the route is
    /// known and answered, the first bytes the client sends (``ProxiedClientFlow``) tell
    /// whether it starts TLS, before the target is connected on.
    func route(_ socket: SocketFlow, id: Int, client: PeerAddress) async -> SessionRoute? {
        guard let proxyProtocol else {
            guard let target else {
                await socket.reset()
                return nil
            }
            return SessionRoute(target: target, request: nil, observed: observes(target, name: nil))
        }
        // A stop during the handshake resets the client after the grace period rather than
        // waiting for the handshake's time limit.
        passThroughs.insert(id) { await socket.reset() }
        defer { passThroughs.remove(id) }
        do {
            let request = try await ProxyHandshake.receive(
                proxyProtocol, from: socket, timeLimit: options.handshakeTimeLimit)
            let target = request.target.address
            return SessionRoute(
                target: target, request: request, observed: observes(target, name: request.target.name))
        } catch {
            emit(SessionEvent(conn: id, .handshakeError(client: client, error: error.reason)))
            await socket.close(waitingAtMost: .seconds(2))
            return nil
        }
    }

    /// Whether `--only` lets a session to `target` (named `name` by its client) be observed:
    /// always without `--only`; otherwise when a pattern matches the host as given (a name or
    /// an IP literal) or the name, and the port.
    func observes(_ target: Address, name: String?) -> Bool {
        guard !options.only.isEmpty else { return true }
        switch target {
        case .tcp(let host, let port), .tls(let host, let port):
            return options.only.contains { $0.matches(address: host, name: name, port: port) }
        case .unix(let path):
            return options.only.contains { $0.port == nil && $0.matches(address: path, name: nil, port: 0) }
        case .tcpListen, .unixListen, .tlsListen, .socks5Listen, .httpProxyListen:
            return true
        }
    }

    /// Forwards a session `--only` does not observe: the core proxy between the two sockets,
    /// nothing reported, not counted by `once`, not reachable by ``control``; a failure of
    /// either side resets both; ``stop()`` resets it when it outlasts the grace period.
    func passThrough(_ clientFlow: ProxiedClientFlow, id: Int, client: SocketFlow, server: SocketFlow) async {
        registry.uncount(id)
        passThroughs.insert(id) {
            await client.reset()
            await server.reset()
        }
        // On the client's event loop already (see ``serve(_:id:)``).
        do {
            _ = try await proxy(clientFlow, server)
        } catch {
            await client.reset()
            await server.reset()
        }
        passThroughs.remove(id)
        async let closeClient: Void = client.close(waitingAtMost: .seconds(2))
        await server.close(waitingAtMost: .seconds(2))
        await closeClient
    }
}

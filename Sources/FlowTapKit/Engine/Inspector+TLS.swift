import FlowCore
import FlowEvents
import FlowTransport

extension Inspector {
    /// The TLS step of a session, before its `open`: reads the client's ClientHello (on
    /// `tls-listen:`), connects to the target (on `tls:` with TLS: the address's HOST as SNI,
    /// the client's ALPN list offered), finishes the server's handshake first, then
    /// answers the client with a certificate for the name it asked for (else the target's host)
    /// and the server's ALPN choice. Each finished handshake is a `tls` event.
    ///
    /// - Returns: the connected target, or nil when something failed: reported as
    ///   `connect_error` (TCP) or `tls_error` (a handshake; `side` says which), and the other
    ///   peer is reset, never closed cleanly.
    func connectWithTLS(
        _ client: SocketFlow, id: Int, clientAddress: PeerAddress, target: Address
    ) async -> SocketFlow? {
        func failed(_ side: TLSSummary.Side, _ reason: String, resetting flows: SocketFlow...) async
            -> SocketFlow?
        {
            emit(Self.tlsError(conn: id, side: side, reason, client: clientAddress))
            for flow in flows { await flow.reset() }
            return nil
        }
        guard let environment = options.tls else {
            return await failed(.client, "TLS is not set up (no TLS environment given)", resetting: client)
        }
        var hello: ClientHello?
        if await client.awaitsTLS {
            do { hello = try await client.clientHello() } catch {
                return await failed(.client, error.reason, resetting: client)
            }
        }
        let server: SocketFlow
        var serverTLS: TLSConnection?
        if case .tls(let host, let port) = target {
            do {
                let connection = try await Connector.connectTLS(
                    host: host, port: port, on: client.eventLoop, environment: environment,
                    protocols: hello?.applicationProtocols ?? [])
                serverTLS = connection
                server = connection.flow
            } catch {
                switch error {
                case .transport(let error):
                    emit(
                        SessionEvent(
                            conn: id,
                            .connectError(
                                client: clientAddress, target: PeerAddress(target), error: error.reason)))
                    await client.reset()
                    return nil
                case .handshake(let error):
                    return await failed(.server, error.reason, resetting: client)
                }
            }
            emit(SessionEvent(conn: id, .tls(Self.summary(connection: serverTLS!, side: .server))))
        } else {
            do {
                server = try await Connector.connect(target, on: client.eventLoop)
            } catch {
                emit(
                    SessionEvent(
                        conn: id,
                        .connectError(client: clientAddress, target: PeerAddress(target), error: error.reason)
                    ))
                await client.reset()
                return nil
            }
        }
        var clientTLS: TLSConnection?
        if let hello {
            let name = hello.serverName ?? Self.host(of: target)
            let protocols = serverTLS?.handshake.applicationProtocol.map { [$0] } ?? []
            do {
                let connection = try await client.startServerTLS(
                    environment: environment, name: name, protocols: protocols)
                clientTLS = connection
                emit(SessionEvent(conn: id, .tls(Self.summary(connection: connection, side: .client))))
            } catch {
                return await failed(.client, error.reason, resetting: server, client)
            }
        }
        watchTruncation(client: clientTLS, server: serverTLS, id: id, clientAddress: clientAddress)
        return server
    }

    /// The `tls_error` of session `id`, naming its client (``FlowEvents/SessionEvent/clientAddress``).
    static func tlsError(conn id: Int, side: TLSSummary.Side, _ reason: String, client: PeerAddress)
        -> SessionEvent
    {
        var event = SessionEvent(conn: id, .tlsError(side: side, error: reason))
        event.clientAddress = client
        return event
    }

    /// A TCP FIN without close_notify from either peer is passed on as a bare FIN, and reported
    /// as `tls_error` (its data may be truncated). `nil` for a leg without TLS.
    func watchTruncation(
        client clientTLS: TLSConnection?, server serverTLS: TLSConnection?, id: Int,
        clientAddress: PeerAddress
    ) {
        clientTLS?.whenTruncated { [serverTLS] in
            serverTLS?.sendBareFIN()
            self.emit(
                Self.tlsError(
                    conn: id, side: .client,
                    "the client ended TCP without close_notify (its data may be truncated): passed on as a bare FIN",
                    client: clientAddress))
        }
        serverTLS?.whenTruncated { [clientTLS] in
            clientTLS?.sendBareFIN()
            self.emit(
                Self.tlsError(
                    conn: id, side: .server,
                    "the server ended TCP without close_notify (its data may be truncated): passed on as a bare FIN",
                    client: clientAddress))
        }
    }

    /// The target's host (or Unix path): the name a minted certificate carries when the client
    /// sent no SNI.
    static func host(of target: Address) -> String {
        switch target {
        case .tcp(let host, _), .tls(let host, _): host
        case .unix, .unixListen, .tcpListen, .tlsListen, .socks5Listen, .httpProxyListen: "localhost"
        }
    }

    /// The `tls` event of a handshake: the server side carries the certificate's details.
    static func summary(connection: TLSConnection, side: TLSSummary.Side) -> TLSSummary {
        let handshake = connection.handshake
        var summary = TLSSummary(
            side: side, version: handshake.version, cipher: handshake.cipher, sni: handshake.serverName,
            alpn: handshake.applicationProtocol)
        if side == .server {
            summary.verified = handshake.verified
            summary.subject = handshake.peerSubject
            summary.issuer = handshake.peerIssuer
            summary.expiry = handshake.peerExpiry
        }
        return summary
    }
}

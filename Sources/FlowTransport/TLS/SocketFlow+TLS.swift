import NIOCore
import NIOSSL

extension SocketFlow {
    /// Whether this flow was accepted on a `tls-listen:` address and its TLS has not started:
    /// its bytes are held until ``startServerTLS(environment:name:protocols:)``.
    public var awaitsTLS: Bool {
        get async {
            let channel = core.channel
            return
                (try? await channel.eventLoop.submit {
                    (try? channel.pipeline.syncOperations.handler(type: ClientHelloGate.self)) != nil
                }.get()) ?? false
        }
    }

    /// For a flow accepted on `tls-listen:`: the client's ClientHello (SNI and ALPN list),
    /// read without consuming it, waiting for it as long as the client takes.
    ///
    /// - Throws: ``TLSHandshakeError`` when the client's first bytes are not a ClientHello (with
    ///   a hint, e.g. plaintext HTTP), when it closes first, or when the flow is not a
    ///   `tls-listen:` one.
    public func clientHello() async throws(TLSHandshakeError) -> ClientHello {
        let channel = core.channel
        do {
            return try await channel.eventLoop.flatSubmit {
                do {
                    return try channel.pipeline.syncOperations.handler(type: ClientHelloGate.self).helloResult
                } catch {
                    return channel.eventLoop.makeFailedFuture(
                        TLSHandshakeError("not a tls-listen: connection"))
                }
            }.get()
        } catch let error as ClientHelloError {
            throw TLSHandshakeError(error.description)
        } catch let error as TLSHandshakeError {
            throw error
        } catch {
            throw TLSHandshakeError("\(error)")
        }
    }

    /// For a flow accepted on `tls-listen:`: answers the client's handshake with a certificate
    /// for `name` (minted by the environment's CA, or the `--cert` one), offering `protocols`
    /// (ALPN; the server's choice when passing a TLS session through), then returns the
    /// connection once the handshake is done. The held bytes are handed to TLS first.
    ///
    /// - Throws: ``TLSHandshakeError`` with a reason to act on, e.g. `the client rejected
    ///   flowtap's certificate (tlsv1_alert_unknown_ca): trust …/ca.pem (…)`; the client has
    ///   then had an alert (or its connection was closed), never a clean close.
    public func startServerTLS(
        environment: TLSEnvironment, name: String, protocols: [String]
    ) async throws(TLSHandshakeError) -> TLSConnection {
        let sslContext = try environment.serverContext(name: name, protocols: protocols)
        let channel = core.channel
        let state = TLSFlowState()
        let leg = TLSErrorText.Leg.accepted(authority: environment.authority?.certificatePath)
        let handshake: EventLoopFuture<TLSHandshake>
        do {
            handshake = try await channel.eventLoop.flatSubmit {
                () -> EventLoopFuture<EventLoopFuture<TLSHandshake>> in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    let gate = try pipeline.handler(type: ClientHelloGate.self)
                    let watcher = try pipeline.handler(type: TLSRecordWatcher.self)
                    let promise = channel.eventLoop.makePromise(of: TLSHandshake.self)
                    let ssl = NIOSSLServerHandler(context: sslContext)
                    let session = TLSSessionHandler(
                        ssl: ssl, watcher: watcher, state: state, handshake: promise, serverName: name,
                        verified: false)
                    try pipeline.addHandler(ssl, position: .after(gate))
                    try pipeline.addHandler(session, position: .after(ssl))
                    return pipeline.removeHandler(gate).map { promise.futureResult }
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }.get()
        } catch {
            throw TLSHandshakeError("cannot start TLS with the client: \(error)")
        }
        do {
            let done = try await handshake.get()
            return TLSConnection(flow: self, handshake: done, state: state)
        } catch {
            throw TLSHandshakeError(TLSErrorText.reason(error, leg: leg))
        }
    }
}

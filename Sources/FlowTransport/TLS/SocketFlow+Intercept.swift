import NIOCore
import NIOSSL
import Synchronization

extension SocketFlow {
    /// For a client accepted on a proxy listener, before the proxy's answer is sent: holds every
    /// byte the client sends from now on (nothing reaches the flow) and reads a ClientHello out
    /// of them, as a `tls-listen:` connection does from its start. ``startServerTLS(environment:name:protocols:)``
    /// then answers it, or ``releaseHeldBytes()`` hands the bytes on unchanged.
    public func holdForClientHello() async {
        let channel = core.channel
        _ = try? await channel.eventLoop.submit {
            let gate = ClientHelloGate(hello: channel.eventLoop.makePromise(of: ClientHello.self))
            // The record watcher comes with ``sniffTLS(server:)``, after the proxy's answer: it
            // reads the cipher out of the first bytes flowtap writes, which must be the ServerHello.
            try channel.pipeline.syncOperations.addHandler(gate, position: .first)
        }.get()
    }

    /// Hands the bytes held by ``holdForClientHello()`` on to the flow, in order, then whatever
    /// comes next (an end of input that came meanwhile included); nothing when nothing is held.
    public func releaseHeldBytes() async {
        let channel = core.channel
        _ = try? await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            let pipeline = channel.pipeline.syncOperations
            guard let gate = try? pipeline.handler(type: ClientHelloGate.self) else {
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            let removed = pipeline.removeHandler(gate)
            // The record watcher installed with the gate has nothing to watch in a plain session.
            if let watcher = try? pipeline.handler(type: TLSRecordWatcher.self) {
                _ = pipeline.removeHandler(watcher)
            }
            return removed
        }.get()
    }

    /// For the target's socket of a session whose client is held by ``holdForClientHello()``:
    /// waits for whichever comes first, the client's ClientHello (or bytes that are not one) or
    /// the server's first bytes (or its end). TLS clients speak first, so a server that speaks
    /// first means a plain session; the server's bytes are not consumed (the flow reads them).
    ///
    /// Call it once, after ``holdForClientHello()`` on `self`, with `server` connected on the
    /// same event loop or another; a flow not held answers `.plain`.
    public func sniffTLS(server: SocketFlow) async -> TLSSniff {
        let channel = core.channel
        let serverChannel = server.core.channel
        let decided = channel.eventLoop.makePromise(of: TLSSniff.self)
        let done = Mutex(false)
        let decide: @Sendable (TLSSniff) -> Void = { result in
            let first = done.withLock { d -> Bool in
                defer { d = true }
                return !d
            }
            if first { decided.succeed(result) }
        }
        let watch = FirstInboundWatch { decide(.plain("the server spoke first")) }
        let hello: EventLoopFuture<ClientHello>
        do {
            hello = try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let gate = try pipeline.handler(type: ClientHelloGate.self)
                try pipeline.addHandler(TLSRecordWatcher(watchesInbound: false), position: .first)
                return gate.helloResult
            }.get()
            // Bytes (or an end) that came before the watch are already in the flow's buffer.
            let spoke = try await serverChannel.eventLoop.submit {
                try serverChannel.pipeline.syncOperations.addHandler(watch, position: .first)
                return server.core.hasInboundPending
            }.get()
            if spoke { decide(.plain("the server spoke first")) }
        } catch {
            return .plain("the connection went away before its first bytes")
        }
        hello.whenComplete { result in
            switch result {
            case .success(let parsed): decide(.clientHello(parsed))
            case .failure(let error): decide(.plain("\(error)"))
            }
        }
        let result = (try? await decided.futureResult.get()) ?? .plain("no decision")
        _ = try? await serverChannel.eventLoop.flatSubmit {
            serverChannel.pipeline.syncOperations.removeHandler(watch)
        }.get()
        return result
    }

    /// Starts TLS as a client on this already connected socket (a proxied session's target,
    /// once its client sent a ClientHello): `serverName` is sent as SNI (unless an IP address)
    /// and verified as ``Connector/connectTLS(host:port:on:environment:protocols:)`` does,
    /// `protocols` offered as ALPN. Returns the connection when the handshake is done.
    ///
    /// - Throws: ``TLSHandshakeError`` with a reason to act on; the socket is then reset.
    public func startClientTLS(
        environment: TLSEnvironment, serverName host: String, protocols: [String]
    ) async throws(TLSHandshakeError) -> TLSConnection {
        let context = try environment.clientContext(protocols: protocols)
        let serverName = CertificateAuthority.ipBytes(host) == nil ? host : nil
        let verified = !environment.options.insecure
        let state = TLSFlowState()
        let channel = core.channel
        let handshake: EventLoopFuture<TLSHandshake>
        do {
            handshake = try await channel.eventLoop.submit {
                let promise = channel.eventLoop.makePromise(of: TLSHandshake.self)
                let watcher = TLSRecordWatcher(watchesInbound: true)
                let ssl = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                let session = TLSSessionHandler(
                    ssl: ssl, watcher: watcher, state: state, handshake: promise,
                    serverName: serverName, verified: verified)
                try channel.pipeline.syncOperations.addHandlers([watcher, ssl, session], position: .first)
                return promise.futureResult
            }.get()
        } catch {
            await reset()
            throw TLSHandshakeError("cannot start TLS with the server: \(error)")
        }
        do {
            let done = try await handshake.get()
            return TLSConnection(flow: self, handshake: done, state: state)
        } catch {
            await reset()
            throw TLSHandshakeError(TLSErrorText.reason(error, leg: .upstream(host: host)))
        }
    }
}

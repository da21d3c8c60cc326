import NIOCore
import NIOPosix
import NIOSSL

/// Why a TLS connect failed: the TCP connect (``TransportError``), or the handshake
/// (``TLSHandshakeError``, with a reason to act on).
public enum TLSConnectError: Error, Sendable, CustomStringConvertible {
    /// The TCP connection could not be made.
    case transport(TransportError)
    /// The TCP connection was made, the TLS handshake failed; the connection is closed.
    case handshake(TLSHandshakeError)

    /// The error's one line.
    public var description: String {
        switch self {
        case .transport(let error): error.description
        case .handshake(let error): error.reason
        }
    }
}

extension Connector {
    /// Connects to `host`:`port` over TCP, then does a TLS handshake as its client: `host` is
    /// the SNI (unless an IP address) and the name the certificate is verified against (unless
    /// the environment is `--insecure`), `protocols` the ALPN list offered.
    ///
    /// - Parameter eventLoop: as in ``connect(_:on:)``.
    /// - Returns: the connection once the handshake is done.
    /// - Throws: ``TLSConnectError``: `.transport` as ``connect(_:)`` does, `.handshake` with a
    ///   reason such as `the server's certificate is not trusted for example.com (…): add its
    ///   CA with --tls-ca FILE, or skip verification with --insecure`.
    public static func connectTLS(
        host: String, port: Int, on eventLoop: (any EventLoop)?, environment: TLSEnvironment,
        protocols: [String] = []
    ) async throws(TLSConnectError) -> TLSConnection {
        let action = "cannot connect to \(Address.hostPort(host, port))"
        guard let bootstrap = ClientBootstrap(validatingGroup: eventLoop ?? TransportTuning.group.next())
        else {
            throw .transport(TransportError(action: action, reason: "not a SwiftNIO POSIX event loop"))
        }
        let context: NIOSSLContext
        do { context = try environment.clientContext(protocols: protocols) } catch { throw .handshake(error) }
        let serverName = CertificateAuthority.ipBytes(host) == nil ? host : nil
        let verified = !environment.options.insecure
        let state = TLSFlowState()
        let connected: (SocketFlowCore, EventLoopFuture<TLSHandshake>)
        let configured =
            bootstrap
            .connectTimeout(TransportTuning.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: TransportTuning.recvAllocator)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        let initializer:
            @Sendable (any Channel) -> EventLoopFuture<(SocketFlowCore, EventLoopFuture<TLSHandshake>)> = {
                channel in
                let handshake = channel.eventLoop.makePromise(of: TLSHandshake.self)
                return channel.eventLoop.makeCompletedFuture {
                    let watcher = TLSRecordWatcher(watchesInbound: true)
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    let session = TLSSessionHandler(
                        ssl: ssl, watcher: watcher, state: state, handshake: handshake,
                        serverName: serverName, verified: verified)
                    try channel.pipeline.syncOperations.addHandlers([watcher, ssl, session])
                }.flatMap {
                    SocketFlowCore.install(on: channel)
                }.map { core in (core, handshake.futureResult) }
            }
        do {
            // An IP literal is connected to as it is (no getaddrinfo round trip), as in connect(_:).
            if let literal = try? SocketAddress(ipAddress: host, port: port) {
                connected = try await configured.connect(to: literal, channelInitializer: initializer)
            } else {
                connected = try await configured.connect(
                    host: host, port: port, channelInitializer: initializer)
            }
        } catch {
            let (reason, code) = ErrorText.setupFailure(error)
            throw .transport(TransportError(action: action, reason: reason, errno: code))
        }
        let flow = SocketFlow(core: connected.0, socketPath: nil)
        do {
            let handshake = try await connected.1.get()
            return TLSConnection(flow: flow, handshake: handshake, state: state)
        } catch {
            await flow.reset()
            throw .handshake(TLSHandshakeError(TLSErrorText.reason(error, leg: .upstream(host: host))))
        }
    }
}

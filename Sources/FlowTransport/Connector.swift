import NIOCore
import NIOPosix

/// Opens outgoing connections.
public enum Connector {
    /// Connects to a `tcp:`, `unix:` or `tls:` address and returns the connected flow (for
    /// `tls:`, once the handshake is done, with system trust and `SSLKEYLOGFILE`: see
    /// ``connectTLS(host:port:on:environment:protocols:)`` for the TLS details).
    ///
    /// A TCP host name is resolved, and its addresses tried (IPv6 and IPv4, "happy eyeballs");
    /// an IP literal is connected to directly.
    /// The connect gives up after 10 seconds.
    /// - Throws: ``TransportError`` whose description names the target and the reason:
    ///   `cannot connect to 127.0.0.1:6379: connection refused`,
    ///   `cannot connect to /tmp/s.sock: no such file or directory`,
    ///   `…: connection timed out`, `…: unknown host "name"`; and `…: not a connect address`
    ///   for a listen address.
    public static func connect(_ address: Address) async throws(TransportError) -> SocketFlow {
        try await connect(address, on: nil)
    }

    /// ``connect(_:)`` on a given event loop, e.g. the ``SocketFlow/eventLoop`` of the client
    /// a proxy serves, so that both flows of a session share one thread; nil picks one of the
    /// shared group. The loop must be one of SwiftNIO's POSIX event loops (as every
    /// ``SocketFlow/eventLoop`` is); another kind throws a ``TransportError``.
    public static func connect(
        _ address: Address, on eventLoop: (any EventLoop)?
    ) async throws(TransportError) -> SocketFlow {
        let action = "cannot connect to \(address.endpointText)"
        guard let bootstrap = ClientBootstrap(validatingGroup: eventLoop ?? TransportTuning.group.next())
        else {
            throw TransportError(action: action, reason: "not a SwiftNIO POSIX event loop")
        }
        let configured =
            bootstrap
            .connectTimeout(TransportTuning.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: TransportTuning.recvAllocator)
        do {
            switch address {
            case .tcp(let host, let port):
                let core: SocketFlowCore
                if let literal = try? SocketAddress(ipAddress: host, port: port) {
                    // An IP literal is connected to as it is: the resolver would send it to
                    // getaddrinfo on a dispatch thread and back, a round trip per connect.
                    core = try await configured.connect(to: literal) { channel in
                        SocketFlowCore.install(on: channel)
                    }
                } else {
                    core = try await configured.connect(host: host, port: port) { channel in
                        SocketFlowCore.install(on: channel)
                    }
                }
                return SocketFlow(core: core, socketPath: nil)
            case .unix(let path):
                let core = try await configured.connect(unixDomainSocketPath: path) { channel in
                    SocketFlowCore.install(on: channel)
                }
                return SocketFlow(core: core, socketPath: path)
            case .tls(let host, let port):
                do {
                    return try await connectTLS(
                        host: host, port: port, on: eventLoop, environment: .standard
                    ).flow
                } catch {
                    switch error {
                    case .transport(let error): throw error
                    case .handshake(let error): throw TransportError(action: action, reason: error.reason)
                    }
                }
            case .tcpListen, .unixListen, .tlsListen, .socks5Listen, .httpProxyListen:
                throw TransportError(
                    action: action, reason: "not a connect address (use tcp:, unix: or tls:)")
            }
        } catch let error as TransportError {
            throw error
        } catch {
            let (reason, code) = ErrorText.setupFailure(error)
            throw TransportError(action: action, reason: reason, errno: code)
        }
    }
}

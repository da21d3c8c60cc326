import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listening socket, TCP or Unix domain, that hands out accepted connections as
/// ``SocketFlow``s.
///
/// Connections are accepted as they arrive and queued until ``accept()`` takes them; each
/// already reads into its own bounded buffer, with the same half-closure and backpressure as a
/// connected flow. While a few connections wait to be taken (at most
/// ``maximumAcceptedAhead``), the listening socket is not read: new clients wait in the
/// kernel's backlog. So a caller that stops calling ``accept()`` stops accepting. After an
/// accept failure the socket is not read either until the next ``accept()`` call, so the caller
/// decides how long to back off.
public final class Listener: Sendable {
    /// The address actually listened on, printable: `127.0.0.1:43117` with the real port when
    /// port 0 was asked, `[::1]:43117` for IPv6, the path for a Unix socket.
    public let localAddress: String
    /// The address actually listened on, as NIO knows it.
    public let localSocketAddress: SocketAddress?
    /// The address as asked for in ``bind(_:)``.
    public let address: Address

    /// The most connections a listener holds accepted but not yet taken by ``accept()``: each
    /// holds a descriptor, so a caller that caps its sessions must reserve this many more.
    public static let maximumAcceptedAhead =
        TransportTuning.acceptQueueLimit + TransportTuning.acceptsPerRead - 1

    private let serverChannel: any Channel
    let queue: AcceptQueue
    private let unixPath: String?

    private init(
        address: Address, serverChannel: any Channel, queue: AcceptQueue, unixPath: String?
    ) {
        self.address = address
        self.serverChannel = serverChannel
        self.queue = queue
        self.unixPath = unixPath
        self.localSocketAddress = serverChannel.localAddress
        self.localAddress = unixPath ?? serverChannel.localAddress?.flowText ?? address.endpointText
    }

    /// Starts listening on a `tcp-listen:`, `unix-listen:` or `tls-listen:` address.
    ///
    /// A `tls-listen:` listener accepts TCP connections whose bytes are held until
    /// ``SocketFlow/startServerTLS(environment:name:protocols:)`` (after
    /// ``SocketFlow/clientHello()``): the engine decides what to answer.
    ///
    /// TCP sockets get `SO_REUSEADDR` (a restart does not wait for old connections'
    /// TIME_WAIT). For a Unix path that already exists: a socket nobody listens on any more (a
    /// stale one, left by a crash) is removed and replaced; a socket someone listens on gives
    /// `address already in use`; anything that is not a socket is never touched and gives
    /// `file exists and is not a socket`.
    /// - Throws: ``TransportError`` such as
    ///   `cannot listen on 127.0.0.1:8080: address already in use`,
    ///   `cannot listen on 127.0.0.1:80: permission denied`,
    ///   `cannot listen on tcp:127.0.0.1:1: not a listen address (use tcp-listen: or unix-listen:)`.
    public static func bind(_ address: Address) async throws(TransportError) -> Listener {
        let action = "cannot listen on \(address.endpointText)"
        let queue = AcceptQueue()
        var unixPath: String?
        if case .unixListen(let path) = address { unixPath = path }
        let childPath = unixPath
        var bootstrap = ServerBootstrap(group: TransportTuning.group)
            .serverChannelOption(.backlog, value: TransportTuning.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: UInt(TransportTuning.acceptsPerRead))
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ListenerHandler(queue: queue, action: "cannot accept on \(address.endpointText)")
                    )
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.recvAllocator, value: TransportTuning.recvAllocator)
            .childChannelInitializer { child in
                // tls-listen: the client's bytes are held until the engine starts TLS.
                let prepared: EventLoopFuture<Void> =
                    if case .tlsListen = address {
                        ClientHelloGate.install(on: child)
                    } else {
                        child.eventLoop.makeSucceededVoidFuture()
                    }
                // Handed out once registered and active.
                return prepared.flatMap {
                    SocketFlowCore.install(on: child) { core in
                        queue.push(SocketFlow(core: core, socketPath: childPath))
                    }
                }.map { _ in }
            }
        if address.tcpListenHostPort != nil {
            // Small request/response traffic must not wait for Nagle's algorithm.
            bootstrap = bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        if case .tlsListen = address {
            // Small request/response traffic must not wait for Nagle's algorithm.
            bootstrap = bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        do {
            let channel: any Channel
            switch address {
            case .tcpListen(let host, let port), .socks5Listen(let host, let port),
                .httpProxyListen(let host, let port), .tlsListen(let host, let port):
                channel = try await bootstrap.bind(host: host, port: port).get()
            case .unixListen(let path):
                try prepareUnixPath(path, action: action)
                channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
            case .tcp, .unix, .tls:
                throw TransportError(
                    action: action,
                    reason: "not a listen address (use tcp-listen:, unix-listen: or tls-listen:)")
            }
            queue.attach(channel)
            return Listener(address: address, serverChannel: channel, queue: queue, unixPath: unixPath)
        } catch let error as TransportError {
            throw error
        } catch {
            let (reason, code) = ErrorText.setupFailure(error)
            throw TransportError(action: action, reason: reason, errno: code)
        }
    }

    /// The next accepted connection, waiting for one if none is queued.
    ///
    /// - Returns: nil once the listener is closed (also for calls waiting when it closes), or
    ///   when the waiting task is cancelled.
    /// - Throws: ``TransportError`` when accepting failed (e.g.
    ///   `cannot accept on 127.0.0.1:8080: too many open files`, with the real port); the
    ///   listener goes on, but reads its socket again only at the next call, which may succeed.
    public func accept() async throws(TransportError) -> SocketFlow? {
        do {
            return try await queue.next()
        } catch {
            // The handler was made before the port was known: name the real address.
            throw TransportError(
                action: "cannot accept on \(localAddress)", reason: error.reason, errno: error.errno)
        }
    }

    /// Stops listening: waiting and later ``accept()`` calls return nil, connections accepted
    /// but not yet taken are closed, and a Unix socket file this listener created is removed.
    /// Connections already taken are not affected. Harmless to call twice.
    public func close() async {
        queue.close()
        try? await serverChannel.close().get()
        if let unixPath, Self.isSocket(unixPath) {
            unlink(unixPath)
        }
    }

    /// Makes room for a Unix socket at `path`: removes a stale socket; refuses a live one or a
    /// file that is not a socket.
    private static func prepareUnixPath(_ path: String, action: String) throws(TransportError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there (or unreadable: bind says)
        guard isSocket(path) else {
            throw TransportError(action: action, reason: "file exists and is not a socket", errno: EEXIST)
        }
        if someoneListens(on: path) {
            throw TransportError(
                action: action, reason: ErrorText.reason(errno: EADDRINUSE), errno: EADDRINUSE)
        }
        unlink(path)
    }

    private static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Whether a connect to the Unix socket at `path` is answered (refused means stale).
    private static func someoneListens(on path: String) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { _ = systemClose(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                systemConnect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 || (errno != ECONNREFUSED && errno != ENOENT)
    }
}

#if canImport(Glibc)
    private let systemClose = Glibc.close
    private let systemConnect = Glibc.connect
#elseif canImport(Darwin)
    private let systemClose = Darwin.close
    private let systemConnect = Darwin.connect
#endif

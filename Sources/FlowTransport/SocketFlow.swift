import FlowCore
import NIOCore

/// One connected socket, TCP (IPv4 or IPv6) or Unix domain, as a ``ShutdownableFlow``.
///
/// Made by ``Connector/connect(_:)`` and ``Listener/accept()``. Both directions close on their
/// own (TCP half-close):
/// - ``read()`` returns chunks as they arrive; after the peer's FIN, the chunks still queued,
///   then ``ReadResult/eof`` on every later read, while writing still works. A reset
///   connection throws `FlowError("connection reset by peer", errno: 104)`; other socket
///   failures throw the system's text for their errno, lowercased.
/// - ``write(_:)`` queues the bytes in the channel and returns; it suspends while more than
///   512 KiB wait for the socket. It throws ``WriteError/closed`` after ``shutdownWrite()``,
///   ``close()`` or ``reset()``, and ``WriteError/failed(_:)`` with the socket's real reason
///   (`connection reset by peer`, `broken pipe`) once the socket failed: at once when the
///   failure happens during the write, else on the next write.
/// - Backpressure: at most 512 KiB of unread bytes are held (plus what one read cycle brings,
///   at most 4 × 256 KiB); above that the socket is not read, so TCP's window pushes back on
///   the sender.
///
/// One task may read while another writes (several waiting readers are served in turn). For
/// the least overhead per chunk, keep both flows of a proxy on one event loop and its tasks
/// on that loop too:
/// ```swift
/// let server = try await Connector.connect(target, on: client.eventLoop)
/// try await withTaskExecutorPreference(client.taskExecutor) {
///     try await proxy(client, server)
/// }
/// ```
public final class SocketFlow: ShutdownableFlow, CustomStringConvertible {
    /// This end of the connection, printable: `127.0.0.1:53422`, `[::1]:8080`, or the Unix
    /// path. An unnamed Unix socket (a connecting client) shows as `unix:` and the path of the
    /// socket it is connected to.
    public let localAddress: String
    /// The other end of the connection, printed as ``localAddress``. An unnamed Unix client
    /// seen from the listener shows as `unix:` and the listener's path.
    public let remoteAddress: String
    /// This end's socket address as NIO knows it; nil if NIO has none.
    public let localSocketAddress: SocketAddress?
    /// The other end's socket address as NIO knows it; nil if NIO has none.
    public let remoteSocketAddress: SocketAddress?
    /// The event loop the channel runs on. Tasks that read and write this flow do best on it
    /// (see ``taskExecutor``); a connect for the other side of a proxy can be made on it too
    /// (``Connector/connect(_:on:)``).
    public let eventLoop: any EventLoop
    /// A `TaskExecutor` running on ``eventLoop``: `withTaskExecutorPreference(flow.taskExecutor)`
    /// keeps a forwarding task on the channel's thread and saves a thread hop per chunk.
    public let taskExecutor: any TaskExecutor

    let core: SocketFlowCore

    init(core: SocketFlowCore, socketPath: String?) {
        self.core = core
        let channel = core.channel
        self.eventLoop = channel.eventLoop
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: channel.eventLoop)
        self.localSocketAddress = channel.localAddress
        self.remoteSocketAddress = channel.remoteAddress
        let unnamed = socketPath.map { "unix:\($0)" } ?? "(unnamed)"
        self.localAddress = channel.localAddress?.flowText ?? unnamed
        self.remoteAddress = channel.remoteAddress?.flowText ?? unnamed
    }

    /// A flow dropped without ``close()`` or ``reset()`` closes its socket, so that no file
    /// descriptor leaks (bytes still queued may then be lost).
    deinit {
        core.abandon()
    }

    /// `LOCAL <-> REMOTE`.
    public var description: String { "\(localAddress) <-> \(remoteAddress)" }

    /// Calls `body` once when the socket fails — reset by the peer, or another socket error,
    /// on reading or writing — even while nobody reads the flow (its bytes are read ahead into
    /// the inbound queue, so a reset still arrives). Called at once (on the caller's thread) if
    /// the socket failed already; otherwise on the event loop, so `body` must return quickly.
    /// Never called for the peer's FIN, nor after the socket was closed or reset without a
    /// failure (``close()``, ``reset()``). A later call replaces an earlier `body` not yet called.
    public func whenFailed(_ body: @escaping @Sendable (FlowError) -> Void) {
        core.whenFailed(body)
    }

    /// Reads the next chunk (at most one socket read's worth, up to 256 KiB).
    ///
    /// Returns at once when a chunk is queued; else suspends until one arrives.
    /// - Returns: ``ReadResult/eof`` once the peer sent FIN and every queued byte was read,
    ///   and after ``shutdownRead()``, ``close()`` or ``reset()``; `.eof` is sticky.
    /// - Throws: ``FlowError`` when the socket failed (`connection reset by peer`, errno 104),
    ///   again on later reads; `read cancelled` when the waiting task was cancelled.
    public func read() async throws(FlowError) -> ReadResult {
        try await core.read()
    }

    /// Queues `buffer` for the peer; suspends while more than 512 KiB are queued.
    ///
    /// - Throws: ``WriteError/closed`` after ``shutdownWrite()``, ``close()`` or ``reset()``;
    ///   ``WriteError/failed(_:)`` with the socket's reason once it failed (reported by this
    ///   write when it failed at once, else by the next one); `write cancelled` when the task
    ///   was cancelled while waiting for room.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        try await core.write(buffer)
    }

    /// Queues the buffers in order with one flush; errors as ``write(_:)``. A failure fails
    /// every buffer still queued.
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        try await core.writev(buffers)
    }

    /// Sends FIN once every queued write has reached the socket; reading goes on. Later writes
    /// throw ``WriteError/closed``. Does nothing when already shut, closed, reset or failed.
    /// Waits as long as the queued bytes take to leave (a peer that never reads keeps it
    /// waiting; ``reset()`` ends that).
    public func shutdownWrite() async {
        await core.shutdownWrite()
    }

    /// Stops reading: queued bytes are dropped and later reads return ``ReadResult/eof``.
    /// Writing goes on. Does nothing when already done; never waits on the peer.
    ///
    /// The socket's input is not shut at the system level (`SHUT_RD`): on Linux that would
    /// leave the peer's later bytes unread in the kernel, and closing a socket with unread
    /// bytes sends a reset that can destroy the last bytes we sent. Instead the socket goes on
    /// being read and what arrives is dropped, until the peer's FIN (when our write side is
    /// shut too, the socket then closes) or until ``close()`` / ``reset()``.
    public func shutdownRead() async {
        await core.shutdownRead()
    }

    /// Closes gracefully: flushes queued writes, sends FIN, then reads (and drops) whatever the
    /// peer still sends until its FIN or failure, then closes the socket. No queued byte is
    /// dropped. Waits for the peer as long as it takes, unless the task is cancelled (then it
    /// closes at once); ``reset()`` is the abrupt way. Harmless to call twice.
    public func close() async {
        await core.close()
    }

    /// ``close()``, but if the peer has not closed its side within `limit`, the connection is
    /// aborted with ``reset()`` instead: a bounded close for shutting down, or for peers that
    /// keep a half-closed connection open.
    public func close(waitingAtMost limit: Duration) async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.close()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            if await group.next() == false {
                // Fails the queued writes and closes the channel, which ends the waiting close.
                await self.reset()
            }
            group.cancelAll()
        }
    }

    /// Aborts the connection: TCP sends RST (SO_LINGER 0 then close) and drops queued bytes
    /// both ways; a Unix socket simply closes. Suspended reads and writes return at once;
    /// afterwards reads return ``ReadResult/eof`` and writes throw ``WriteError/closed``.
    public func reset() async {
        await core.reset()
    }
}

import FlowCore
import NIOCore
import Synchronization

/// A client's socket as its session sees it once the proxy handshake is over (or, for a
/// listener without a handshake, simply its socket).
///
/// - Reads return first the bytes the client sent past its handshake (an absolute-form
///   request's head rewritten in origin-form, data a SOCKS client sent early), then what the
///   socket brings. On an HTTP proxy connection that forwards requests, every later request is
///   rewritten in origin-form too (``HTTPForwardRewriter``); a request for another host ends
///   the reads (``ReadResult/eof``, as if the client had sent FIN) and is answered
///   `502 Bad Gateway`, with the reason, when the session passes the target's FIN on
///   (``shutdownWrite()``): after every byte of the answers before it.
/// - Writes, shutdowns and close go straight to the socket.
///
/// One task reads while another writes, as with ``SocketFlow``.
public final class ProxiedClientFlow: ShutdownableFlow {
    /// The client's socket.
    public let socket: SocketFlow
    /// Whether reads go straight to the socket (nothing read ahead, nothing to rewrite).
    private let direct: Bool
    private let state: Mutex<State>

    private struct State: Sendable {
        var ahead: ByteBuffer?
        var rewriter: HTTPForwardRewriter?
        var ended = false
    }

    /// `socket` as it is: reads, writes and shutdowns go straight to it.
    public convenience init(_ socket: SocketFlow) {
        self.init(socket, ahead: nil, rewriter: nil)
    }

    init(_ socket: SocketFlow, ahead: ByteBuffer?, rewriter: HTTPForwardRewriter?) {
        self.socket = socket
        let ahead = ahead.flatMap { $0.readableBytes > 0 ? $0 : nil }
        self.direct = ahead == nil && rewriter == nil
        self.state = Mutex(State(ahead: ahead, rewriter: rewriter, ended: rewriter?.isStopped ?? false))
    }

    /// The next chunk: the bytes read ahead first, then the socket's (rewritten on an HTTP
    /// forwarding connection); errors and end-of-file as ``SocketFlow/read()``.
    public func read() async throws(FlowError) -> ReadResult {
        if direct { return try await socket.read() }
        while true {
            let (ahead, ended, rewriting) = state.withLock { s in
                defer { s.ahead = nil }
                return (s.ahead, s.ended, s.rewriter != nil)
            }
            if let ahead { return .data(ahead) }
            if ended { return .eof }
            let result = try await socket.read()
            guard rewriting else { return result }
            let out = state.withLock { s -> ByteBuffer? in
                switch result {
                case .eof:
                    let rest = s.rewriter?.finish() ?? ByteBuffer()
                    s.ended = true
                    return rest.readableBytes > 0 ? rest : nil
                case .data(let bytes):
                    let out = s.rewriter?.rewrite(bytes) ?? bytes
                    if s.rewriter?.isStopped == true { s.ended = true }
                    return out
                }
            }
            if let out, out.readableBytes > 0 { return .data(out) }
            if state.withLock({ $0.ended }) { return .eof }
        }
    }

    /// Whether reads go straight to the socket: nothing was read past the handshake and nothing
    /// is rewritten (a `CONNECT` tunnel or a SOCKS connection whose client waited for the answer).
    public var readsSocketDirectly: Bool { direct }

    /// Why an HTTP forwarding connection stopped (a request for another host), if it did.
    public var refusal: String? { state.withLock { $0.rewriter?.refusal } }

    /// Writes to the socket (``SocketFlow/write(_:)``).
    public func write(_ buffer: ByteBuffer) async throws(WriteError) { try await socket.write(buffer) }
    /// Writes to the socket (``SocketFlow/writev(_:)``).
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) { try await socket.writev(buffers) }

    /// Sends FIN after the socket's queued bytes; on an HTTP forwarding connection that
    /// stopped at a request for another host, the `502 Bad Gateway` answering it goes first.
    public func shutdownWrite() async {
        if !direct, let refusal {
            try? await socket.write(HTTPProxyResponses.badGateway(refusal))
        }
        await socket.shutdownWrite()
    }

    /// Stops reading the socket (``SocketFlow/shutdownRead()``).
    public func shutdownRead() async { await socket.shutdownRead() }
    /// Closes the socket gracefully (``SocketFlow/close()``).
    public func close() async { await socket.close() }
}

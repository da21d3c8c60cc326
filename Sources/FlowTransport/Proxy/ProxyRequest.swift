import FlowCore
import NIOCore
import NIOSOCKS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a proxy client asked for, once its handshake was read (``ProxyHandshake/receive(_:from:timeLimit:)``):
/// where to connect, and how to answer.
///
/// The caller connects to ``target`` and then either ``accept(_:bound:)``s (the client is
/// told it is connected, and gets the flow its session reads and writes) or ``refuse(_:reason:errno:)``s
/// (the client is told why, in its protocol, then sent a FIN: never a reset, which could
/// destroy the answer).
public struct ProxyRequest: Sendable {
    /// The protocol the client spoke.
    public let proto: ProxyProtocol
    /// Where the client asked to go.
    public let target: ProxyTarget
    /// Bytes read past the handshake, for the session (an absolute-form request's head in
    /// origin-form and what followed it; data a client sent before the reply).
    let ahead: ByteBuffer
    /// For an absolute-form HTTP request: what follows the requests after it (see
    /// ``HTTPForwardRewriter``); nil for SOCKS5 and `CONNECT` (a tunnel of raw bytes).
    let rewriter: HTTPForwardRewriter?
    /// What the client is owed before the answer, sent with it in one write: the SOCKS5 method
    /// selection, when the request came together with the greeting.
    var heldAnswer: ByteBuffer? = nil

    /// Tells the client its target is connected, and returns the flow its session uses:
    /// SOCKS5 reply 0 naming `bound` (the address flowtap connected from), HTTP
    /// `200 Connection established` for a `CONNECT`, nothing for a forwarded request (the
    /// target answers it).
    /// - Throws: ``WriteError`` when the answer cannot be written (the client left).
    public func accept(_ client: SocketFlow, bound: SocketAddress?) async throws(WriteError)
        -> ProxiedClientFlow
    {
        switch proto {
        case .socks5:
            try await client.write(answer(SOCKS5ServerParser.successReply(bound: bound)))
        case .httpProxy:
            if rewriter == nil { try await client.write(HTTPProxyResponses.connectEstablished) }
        }
        return ProxiedClientFlow(client, ahead: ahead, rewriter: rewriter)
    }

    /// `reply` after the ``heldAnswer``, if any.
    private func answer(_ reply: ByteBuffer) -> ByteBuffer {
        guard var out = heldAnswer else { return reply }
        out.writeImmutableBuffer(reply)
        return out
    }

    /// Tells the client the connect failed, then sends FIN (after the answer): a SOCKS5 reply
    /// code from `errno` (5 connection refused, 3 network unreachable, 4 host unreachable,
    /// unknown host or timed out, 1 otherwise), or `502 Bad Gateway` with `reason` in its
    /// body. Write failures are ignored: the client left, there is no one to tell.
    public func refuse(_ client: SocketFlow, reason: String, errno code: Int32?) async {
        let answer: ByteBuffer
        switch proto {
        case .socks5:
            let reply: SOCKSServerReply =
                switch code {
                case ECONNREFUSED: .refused
                case ENETUNREACH: .networkUnreachable
                case EHOSTUNREACH, ETIMEDOUT, nil: .hostUnreachable
                default: .serverFailure
                }
            answer = self.answer(SOCKS5ServerParser.failureReply(reply))
        case .httpProxy:
            answer = HTTPProxyResponses.badGateway("cannot connect to \(target): \(reason)")
        }
        do {
            try await client.write(answer)
        } catch {
            // The client is gone: nothing to answer.
        }
        await client.shutdownWrite()
    }
}

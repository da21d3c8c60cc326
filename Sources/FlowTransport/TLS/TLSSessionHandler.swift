import FlowCore
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Sits between NIOSSL and a ``SocketFlow``'s own handler in a TLS connection's pipeline:
/// - completes ``handshake`` when NIOSSL reports the handshake done (with version, cipher, ALPN
///   and the peer's certificate), or fails it with NIOSSL's error;
/// - turns a TCP FIN without `close_notify` (NIOSSL's `uncleanShutdown` followed by the end of
///   input) into a plain end-of-file for the flow, and tells ``TLSFlowState`` (a possible
///   truncation, to be passed on as a bare FIN);
/// - sends the flow's FIN around NIOSSL (bare) when ``TLSFlowState`` says so, and every full
///   close around it too: a graceful close has sent `close_notify` with its FIN already, and a
///   reset must not send one (nor wait for the peer's). "Around" is from NIOSSL's own context,
///   whose outbound operations go to the handler below it (the socket).
/// - once the handshake is done, takes the ``TLSRecordWatcher`` out of the pipeline: it has read
///   the cipher suite, and every record after that would pass one handler more for nothing.
final class TLSSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let ssl: NIOSSLHandler
    private let watcher: TLSRecordWatcher
    private let state: TLSFlowState
    private let handshake: EventLoopPromise<TLSHandshake>
    private let serverName: String?
    private let verified: Bool
    private var handshakeOver = false
    private var pendingTruncation = false

    init(
        ssl: NIOSSLHandler, watcher: TLSRecordWatcher, state: TLSFlowState,
        handshake: EventLoopPromise<TLSHandshake>, serverName: String?, verified: Bool
    ) {
        self.ssl = ssl
        self.watcher = watcher
        self.state = state
        self.handshake = handshake
        self.serverName = serverName
        self.verified = verified
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event,
            !handshakeOver
        {
            handshakeOver = true
            handshake.succeed(summary(negotiated))
            // The ServerHello has passed (both ways, it comes before the handshake's end).
            _ = context.pipeline.syncOperations.removeHandler(watcher)
        } else if let event = event as? ChannelEvent, event == .inputClosed, pendingTruncation {
            pendingTruncation = false
            state.peerTruncated()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeOver {
            handshakeOver = true
            handshake.fail(error)
        } else if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            // Followed by the end of input when it was the peer's FIN (then a possible
            // truncation); by channelInactive when the connection went away.
            pendingTruncation = true
            return
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !handshakeOver {
            handshakeOver = true
            handshake.fail(NIOSSLError.handshakeFailed(.sslError([])))
        }
        context.fireChannelInactive()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output where state.sendsBareFIN, .all:
            // Below NIOSSL: a bare FIN (no `close_notify`), or a close that neither sends one
            // nor waits for the peer's.
            let below = (try? context.pipeline.syncOperations.context(handler: ssl)) ?? context
            below.close(mode: mode, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    private func summary(_ negotiated: String?) -> TLSHandshake {
        let version: String =
            switch ssl.tlsVersion {
            case .tlsv13: "TLSv1.3"
            case .tlsv12: "TLSv1.2"
            case .tlsv11: "TLSv1.1"
            case .tlsv1: "TLSv1"
            case .none: "unknown"
            }
        var result = TLSHandshake(
            version: version, cipher: watcher.cipherSuite.map(CipherSuiteName.name) ?? "unknown",
            serverName: serverName, applicationProtocol: negotiated, verified: verified)
        if let peer = ssl.peerCertificate, let der = try? peer.toDERBytes(),
            let certificate = try? Certificate(derEncoded: der)
        {
            result.peerSubject = certificate.subject.description
            result.peerIssuer = certificate.issuer.description
            result.peerExpiry = Int64(certificate.notValidAfter.timeIntervalSince1970)
        }
        return result
    }
}

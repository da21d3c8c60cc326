/// A connection whose TLS handshake is done: the flow (plaintext reads and writes; a FIN is
/// `close_notify` then TCP FIN), what the handshake settled, and the hooks a proxy needs to pass
/// a truncation on faithfully.
public struct TLSConnection: Sendable {
    /// The plaintext flow.
    public let flow: SocketFlow
    /// What the handshake settled.
    public let handshake: TLSHandshake
    let state: TLSFlowState

    /// Calls `body` once when the peer ends TCP without `close_notify` (a possible truncation;
    /// the flow reads it as a plain end-of-file). Called on the event loop before that
    /// end-of-file is read, so that a proxy can make its FIN bare in time (``sendBareFIN()``).
    public func whenTruncated(_ body: @escaping @Sendable () -> Void) {
        state.whenTruncated(body)
    }

    /// Makes this flow's FIN (``SocketFlow/shutdownWrite()``) a bare TCP FIN, without
    /// `close_notify`: how a truncation from the other side is passed on.
    public func sendBareFIN() {
        state.sendBareFIN()
    }
}

import Synchronization

/// What the TLS layer of one connection shares with the engine, from any thread: whether its
/// peer ended without `close_notify` (told once, to ``whenTruncated(_:)``'s callback), and
/// whether this connection's own FIN is to be sent bare (without `close_notify`), because the
/// other side of the session ended that way.
final class TLSFlowState: Sendable {
    private struct Fields {
        var bareFIN = false
        var truncated = false
        var onTruncation: (@Sendable () -> Void)?
    }

    private let fields = Mutex(Fields())

    /// Whether the next FIN goes without `close_notify`.
    var sendsBareFIN: Bool { fields.withLock { $0.bareFIN } }

    /// Makes the next FIN bare.
    func sendBareFIN() {
        fields.withLock { $0.bareFIN = true }
    }

    /// Calls `body` once when the peer ends TCP without `close_notify` (at once if it has).
    func whenTruncated(_ body: @escaping @Sendable () -> Void) {
        let now = fields.withLock { fields -> Bool in
            if fields.truncated { return true }
            fields.onTruncation = body
            return false
        }
        if now { body() }
    }

    /// On the event loop: the peer's FIN came without `close_notify`.
    func peerTruncated() {
        let body = fields.withLock { fields -> (@Sendable () -> Void)? in
            fields.truncated = true
            defer { fields.onTruncation = nil }
            return fields.onTruncation
        }
        body?()
    }
}

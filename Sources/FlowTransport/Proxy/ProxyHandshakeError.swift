/// Why a proxy client's handshake failed: malformed, refused (a command or method flowtap
/// does not offer), too long, cut short, or not finished within the time limit.
///
/// By the time it is thrown the client was sent the protocol's answer (a SOCKS reply code,
/// an HTTP `400`/`405`/`408`/`431` response) when the protocol has one, followed by a FIN.
public struct ProxyHandshakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, one lowercase phrase (`"SOCKS5: unsupported command 2 (BIND)"`);
    /// bytes from the peer are escaped.
    public var reason: String

    /// An error saying `reason`.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// ``reason``.
    public var description: String { reason }
}

/// The protocol a proxy listener's clients speak first to name their target (DESIGN §3):
/// ``Address/socks5Listen(host:port:)`` and ``Address/httpProxyListen(host:port:)``.
public enum ProxyProtocol: String, Sendable, Equatable {
    /// SOCKS version 5 (RFC 1928): no authentication, the CONNECT command.
    case socks5
    /// HTTP/1 proxying: `CONNECT host:port` tunnels and absolute-form requests
    /// (`GET http://host/path HTTP/1.1`), forwarded in origin-form.
    case httpProxy = "http-proxy"
}

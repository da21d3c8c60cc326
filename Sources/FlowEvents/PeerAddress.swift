/// One end of a proxied session: the client or the target, as events report it.
///
/// A capture writer synthesizes TCP packets between the client and the server: IP literals
/// are used as they are, anything else (Unix sockets, host names, mixed IPv4/IPv6 pairs) is
/// mapped to synthetic loopback addresses, and the real address is kept in the event record.
public enum PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IP endpoint: `host` is an IPv4 or IPv6 literal (`"127.0.0.1"`, `"::1"`), `port` 0…65535.
    case ip(host: String, port: Int)
    /// A Unix domain socket; `path` may be empty for an unnamed socket.
    case unix(path: String)

    /// `"127.0.0.1:53422"`, `"[::1]:8080"` (IPv6 hosts in brackets), or the socket path.
    public var description: String {
        switch self {
        case .ip(let host, let port):
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            path
        }
    }
}

import NIOCore

extension SocketAddress {
    /// The printable form users read: `127.0.0.1:53422`, `[::1]:8080`, or the Unix path;
    /// nil for an unnamed Unix socket (a client that did not bind a path).
    var flowText: String? {
        switch self {
        case .v4:
            return "\(ipAddress ?? "?"):\(port ?? 0)"
        case .v6:
            return "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unixDomainSocket:
            guard let path = pathname, !path.isEmpty else { return nil }
            return path
        }
    }
}

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

extension PeerAddress {
    /// The IP address written as `description` does (`"127.0.0.1:80"`, `"[::1]:80"`), or `nil`
    /// when `text` is not an IP literal and a port from 0 to 65535.
    public init?(parsing text: String) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4,
                parts.allSatisfy({
                    !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && UInt8($0) != nil
                })
            else { return nil }
        }
        guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit), let number = Int(port),
            number <= 65535
        else { return nil }
        self = .ip(host: String(host), port: number)
    }
}

extension Character {
    /// `0` to `9`, nothing else (no other scripts' digits, no signs).
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

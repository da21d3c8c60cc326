#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An endpoint to listen on or connect to, in a grammar close to socat's.
///
/// | text | case |
/// |---|---|
/// | `tcp-listen:PORT` | ``tcpListen(host:port:)`` on `127.0.0.1` |
/// | `tcp-listen:HOST:PORT`, `tcp-listen:[::1]:PORT` | ``tcpListen(host:port:)`` |
/// | `tcp:HOST:PORT`, `tcp:[IPv6]:PORT` | ``tcp(host:port:)`` |
/// | `unix-listen:PATH` | ``unixListen(path:)`` |
/// | `unix:PATH` | ``unix(path:)`` |
/// | `tls-listen:[HOST:]PORT` | ``tlsListen(host:port:)`` (the host rules of `tcp-listen`) |
/// | `tls:HOST:PORT` | ``tls(host:port:)`` (HOST is the SNI and the name verified) |
/// | `socks5-listen:[HOST:]PORT` | ``socks5Listen(host:port:)`` (as `tcp-listen:`) |
/// | `http-proxy-listen:[HOST:]PORT` | ``httpProxyListen(host:port:)`` (as `tcp-listen:`) |
///
/// Listening is on loopback unless asked otherwise: all interfaces must be named as `0.0.0.0`
/// or `[::]`. A listen port of 0 takes a free port. Schemes are case-insensitive. IPv6 hosts
/// are stored without their brackets.
public enum Address: Sendable, Equatable, CustomStringConvertible {
    /// Listen for TCP connections on `host` (an IP address or a name) and `port` (0 = a free port).
    case tcpListen(host: String, port: Int)
    /// Connect over TCP to `host` (an IP address or a name) and `port` (1-65535).
    case tcp(host: String, port: Int)
    /// Listen for Unix domain stream connections on the socket file `path`.
    case unixListen(path: String)
    /// Connect to the Unix domain stream socket at `path`.
    case unix(path: String)
    /// Listen for TLS clients on `host` and `port`, as ``tcpListen(host:port:)``: flowtap ends
    /// their TLS with a certificate minted per SNI by its local CA (or a given one).
    case tlsListen(host: String, port: Int)
    /// Connect with TLS to `host` and `port`: `host` is sent as SNI (unless an IP address) and
    /// verified against the server's certificate.
    case tls(host: String, port: Int)
    /// Listen for TCP connections as a SOCKS5 proxy: each client's target comes from its
    /// handshake (``ProxyHandshake``), there is no fixed target.
    case socks5Listen(host: String, port: Int)
    /// Listen for TCP connections as an HTTP proxy (`CONNECT` tunnels and absolute-form
    /// requests): each client's target comes from its request (``ProxyHandshake``).
    case httpProxyListen(host: String, port: Int)

    /// The host a bare `tcp-listen:PORT` listens on: loopback only.
    public static let defaultListenHost = "127.0.0.1"

    /// Whether this is an address to listen on (``tcpListen(host:port:)``, ``unixListen(path:)``).
    public var isListen: Bool {
        switch self {
        case .tcpListen, .unixListen, .tlsListen, .socks5Listen, .httpProxyListen: true
        case .tcp, .unix, .tls: false
        }
    }

    /// The proxy protocol a client speaks first on this listen address, which names each
    /// session's target (``socks5Listen(host:port:)``, ``httpProxyListen(host:port:)``); nil for
    /// every other address.
    public var proxyProtocol: ProxyProtocol? {
        switch self {
        case .socks5Listen: .socks5
        case .httpProxyListen: .httpProxy
        case .tcpListen, .unixListen, .tcp, .unix, .tls, .tlsListen: nil
        }
    }

    /// The host and port a TCP listen address binds (`tcp-listen:`, `socks5-listen:`,
    /// `http-proxy-listen:`); nil for the others.
    public var tcpListenHostPort: (host: String, port: Int)? {
        switch self {
        case .tcpListen(let host, let port), .socks5Listen(let host, let port),
            .httpProxyListen(let host, let port), .tlsListen(let host, let port):
            (host, port)
        case .unixListen, .tcp, .unix, .tls: nil
        }
    }

    /// The canonical text form, which ``parse(_:)`` reads back to the same value:
    /// `tcp-listen:127.0.0.1:8080`, `tcp:[::1]:6379`, `unix-listen:/tmp/s.sock`, `unix:/tmp/s.sock`.
    public var description: String {
        switch self {
        case .tcpListen(let host, let port): "tcp-listen:\(Self.hostPort(host, port))"
        case .tcp(let host, let port): "tcp:\(Self.hostPort(host, port))"
        case .unixListen(let path): "unix-listen:\(path)"
        case .unix(let path): "unix:\(path)"
        case .tlsListen(let host, let port): "tls-listen:\(Self.hostPort(host, port))"
        case .tls(let host, let port): "tls:\(Self.hostPort(host, port))"
        case .socks5Listen(let host, let port): "socks5-listen:\(Self.hostPort(host, port))"
        case .httpProxyListen(let host, let port): "http-proxy-listen:\(Self.hostPort(host, port))"
        }
    }

    /// The endpoint without its scheme, as error messages show it: `127.0.0.1:8080`,
    /// `[::1]:6379`, or the Unix path.
    var endpointText: String {
        switch self {
        case .tcpListen(let host, let port), .tcp(let host, let port), .socks5Listen(let host, let port),
            .httpProxyListen(let host, let port), .tlsListen(let host, let port), .tls(let host, let port):
            Self.hostPort(host, port)
        case .unixListen(let path), .unix(let path): path
        }
    }

    /// `host:port`, with the host in brackets when it is an IPv6 address (`[::1]:8080`).
    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The longest Unix socket path the kernel accepts (`sun_path` less its terminating NUL).
    static let maximumUnixPathLength = 107

    /// Parses the text form of an address.
    ///
    /// Only the syntax is checked: host names are resolved later (``resolveListenHost()`` for a
    /// listen address at start, each connect for a target).
    ///
    /// - Throws: ``AddressError`` naming the problem and quoting `text`: an empty text, an
    ///   unknown scheme, a URL (`tcp://HOST:PORT`, with the address meant as a suggestion), a
    ///   missing or non-numeric port, a port out of 0-65535, a port 0 for a connect address, a
    ///   missing or empty host, `*` as a host (with `0.0.0.0` and `[::]` suggested for a listen
    ///   address), an impossible IPv4 literal (`256.0.0.1`), a host name with characters a DNS
    ///   name cannot have (controls, spaces, `/`), an unbracketed or malformed IPv6 address, too
    ///   many `:`-separated parts, an empty or too long Unix path.
    public static func parse(_ text: String) throws(AddressError) -> Address {
        func fail(_ problem: String) -> AddressError { AddressError(input: text, problem: problem) }
        let schemes =
            "(expected tcp, tcp-listen, unix, unix-listen, tls, tls-listen, socks5-listen, http-proxy-listen)"
        if text.isEmpty { throw fail("empty address \(schemes)") }
        guard let colon = text.firstIndex(of: ":") else {
            throw fail("missing scheme \(schemes)")
        }
        let scheme = text[..<colon].lowercased()
        let rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "unix", "unix-listen":
            if rest.isEmpty { throw fail("empty path") }
            if rest.utf8.contains(0) { throw fail("path contains a NUL byte") }
            let length = rest.utf8.count
            if length > maximumUnixPathLength {
                throw fail("path too long (\(length) bytes, at most \(maximumUnixPathLength))")
            }
            return scheme == "unix" ? .unix(path: rest) : .unixListen(path: rest)
        case "tcp":
            let (host, port) = try parseHostPort(rest, listen: false, fail: fail)
            return .tcp(host: host ?? "", port: port)
        case "tcp-listen":
            let (host, port) = try parseHostPort(rest, listen: true, fail: fail)
            return .tcpListen(host: host ?? defaultListenHost, port: port)
        case "tls":
            let (host, port) = try parseHostPort(rest, listen: false, scheme: "tls", fail: fail)
            return .tls(host: host ?? "", port: port)
        case "tls-listen":
            let (host, port) = try parseHostPort(rest, listen: true, scheme: "tls-listen", fail: fail)
            return .tlsListen(host: host ?? defaultListenHost, port: port)
        case "socks5-listen":
            let (host, port) = try parseHostPort(rest, listen: true, scheme: scheme, fail: fail)
            return .socks5Listen(host: host ?? defaultListenHost, port: port)
        case "http-proxy-listen":
            let (host, port) = try parseHostPort(rest, listen: true, scheme: scheme, fail: fail)
            return .httpProxyListen(host: host ?? defaultListenHost, port: port)
        case "":
            throw fail("missing scheme \(schemes)")
        default:
            throw fail("unknown scheme \"\(scheme)\" \(schemes)")
        }
    }

    /// Splits `[HOST:]PORT` (listen) or `HOST:PORT` (connect); the host is nil when omitted.
    private static func parseHostPort(
        _ rest: String, listen: Bool, scheme named: String? = nil, fail: (String) -> AddressError
    ) throws(AddressError) -> (String?, Int) {
        let scheme = named ?? (listen ? "tcp-listen" : "tcp")
        let form = listen ? "\(scheme):[HOST:]PORT" : "\(scheme):HOST:PORT"
        if rest.isEmpty { throw fail(listen ? "missing port" : "missing host and port") }
        if rest.hasPrefix("//") {
            var meant = rest.dropFirst(2)
            while meant.hasSuffix("/") { meant = meant.dropLast() }
            throw fail(
                "a URL is not an address: write \(form)\(meant.isEmpty ? "" : ", i.e. \(scheme):\(meant)")")
        }
        var host: String?
        let portText: String
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw fail("missing \"]\" after the IPv6 address")
            }
            let inside = String(rest[rest.index(after: rest.startIndex)..<close])
            if inside.isEmpty { throw fail("empty IPv6 address in brackets") }
            guard isIPv6(inside) else { throw fail("bad IPv6 address \"\(inside)\"") }
            host = inside
            let after = rest[rest.index(after: close)...]
            if after.isEmpty { throw fail("missing port") }
            guard after.first == ":" else {
                throw fail("expected \":PORT\" after \"]\", got \"\(after)\"")
            }
            portText = String(after.dropFirst())
        } else {
            if rest.contains("[") || rest.contains("]") {
                throw fail("misplaced bracket (an IPv6 host is written \(scheme):[::1]:PORT)")
            }
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1:
                if listen {
                    portText = parts[0]
                } else if isAllDigits(parts[0]) {
                    throw fail("missing host (expected \(form))")
                } else {
                    throw fail("missing port")
                }
            case 2:
                if parts[0].isEmpty { throw fail("empty host") }
                try checkHost(parts[0], listen: listen, fail: fail)
                host = parts[0]
                portText = parts[1]
            default:
                if isIPv6(rest) || isIPv6(parts.dropLast().joined(separator: ":")) {
                    throw fail("an IPv6 host must be in brackets, e.g. \(scheme):[::1]:8080")
                }
                throw fail("too many \":\"-separated parts (expected \(form))")
            }
        }
        if portText.isEmpty { throw fail("missing port") }
        guard isAllDigits(portText) else { throw fail("port \"\(portText)\" is not a number") }
        guard let port = Int(portText), port <= 65535 else {
            throw fail("port \(portText) out of range 0-65535")
        }
        if !listen && port == 0 { throw fail("port 0 is not valid to connect to (1-65535)") }
        return (host, port)
    }

    /// Checks a host that is not in brackets: `*` is refused (with a suggestion), a host of
    /// digits and dots must be a dotted-quad IPv4 address with every part 0-255, anything else
    /// must be a DNS name (letters, digits, `-`, `_`, labels of 1-63 characters, at most 253 in
    /// all, a trailing `.` allowed).
    private static func checkHost(
        _ host: String, listen: Bool, fail: (String) -> AddressError
    ) throws(AddressError) {
        if host == "*" {
            throw fail(
                listen
                    ? "\"*\" is not a host: to listen on every interface write 0.0.0.0 (IPv4) or [::] (IPv6)"
                    : "\"*\" is not a host to connect to")
        }
        let digitsAndDots = host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) }
        if digitsAndDots {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid =
                parts.count == 4
                && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && (Int($0).map { $0 <= 255 } ?? false) }
            guard valid else {
                throw fail("\"\(host)\" is not an IPv4 address (four numbers 0-255, e.g. 127.0.0.1)")
            }
            return
        }
        var labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1 && labels.last == "" { labels.removeLast() }
        guard hasNameCharacters(host) else {
            throw fail(
                "bad host name \"\(host)\" (letters, digits, \"-\" and \".\"; an IPv6 address goes in brackets)"
            )
        }
        guard host.utf8.count <= 253, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }) else {
            throw fail("bad host name \"\(host)\" (empty or too long parts)")
        }
    }

    private static func isAllDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether `text` is a numeric IPv6 address (as `inet_pton` reads it).
    static func isIPv6(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET6, text, &storage) == 1
    }

    /// Whether `host` holds only what a host name may: letters, digits, `-`, `_` and `.`.
    static func hasNameCharacters(_ host: String) -> Bool {
        host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."):
                true
            default: false
            }
        }
    }
}

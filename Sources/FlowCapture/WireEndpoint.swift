import FlowEvents

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IP address and port as they appear in a synthesized (or captured) packet.
struct WireEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network order.
    var address: [UInt8]
    var port: UInt16

    var isIPv6: Bool { address.count == 16 }

    init(address: [UInt8], port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses an IPv4 or IPv6 literal; `nil` for anything else or a port out of range.
    init?(host: String, port: Int) {
        guard let p = UInt16(exactly: port) else { return nil }
        if let v4 = WireEndpoint.parse(host, family: AF_INET, count: 4) {
            self.init(address: v4, port: p)
        } else if let v6 = WireEndpoint.parse(host, family: AF_INET6, count: 16) {
            self.init(address: v6, port: p)
        } else {
            return nil
        }
    }

    /// Parses `"a.b.c.d:port"` or `"[v6]:port"` (the ``description`` form).
    init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...])
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        self.init(host: host, port: port)
    }

    private static func parse(_ host: String, family: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let ok = bytes.withUnsafeMutableBytes { inet_pton(family, host, $0.baseAddress) }
        return ok == 1 ? Array(bytes.prefix(count)) : nil
    }

    /// The host as a literal: `"127.0.0.1"` or `"::1"`.
    var host: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = isIPv6 ? AF_INET6 : AF_INET
        let result = address.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count))
        }
        guard result != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `"127.0.0.1:80"` or `"[::1]:80"`.
    var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// This endpoint as IPv6 (`::ffff:a.b.c.d` for an IPv4 address).
    var asIPv6: WireEndpoint {
        isIPv6
            ? self
            : WireEndpoint(address: [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + address, port: port)
    }

    /// The TCP endpoints of a session's synthesized conversation.
    ///
    /// IP literals are kept; a side that is not one (a Unix socket, a host name, unknown) gets
    /// `127.0.0.2` (client) or `127.0.0.3` (server) with a port derived from the session id. When
    /// the families differ, the IPv4 side is written as an IPv4-mapped IPv6 address.
    static func conversation(session: Int, client: PeerAddress?, server: PeerAddress?)
        -> (client: WireEndpoint, server: WireEndpoint)
    {
        let port = UInt16(1024 + ((session % 64_000) + 64_000) % 64_000)
        var c = client.flatMap(endpoint) ?? WireEndpoint(address: [127, 0, 0, 2], port: port)
        var s = server.flatMap(endpoint) ?? WireEndpoint(address: [127, 0, 0, 3], port: port)
        if c.isIPv6 != s.isIPv6 {
            c = c.asIPv6
            s = s.asIPv6
        }
        if c == s {
            c =
                c.isIPv6
                ? WireEndpoint(
                    address: [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 127, 0, 0, 2], port: port)
                : WireEndpoint(address: [127, 0, 0, 2], port: port)
        }
        return (c, s)
    }

    private static func endpoint(_ address: PeerAddress) -> WireEndpoint? {
        if case .ip(let host, let port) = address { return WireEndpoint(host: host, port: port) }
        return nil
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a proxy client asked to go: a host (an IP literal, or a DNS name flowtap resolves)
/// and a port.
public struct ProxyTarget: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (without brackets), or a host name (letters, digits, `-`, `_`,
    /// `.`; checked, so safe to print).
    public var host: String
    /// 1-65535.
    public var port: Int

    /// The target `host`:`port`; the caller has checked both.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether ``host`` is a name rather than an IP literal.
    public var isName: Bool { !Address.isIPv6(host) && !Self.isIPv4(host) }

    /// The host name the client gave (``host`` when it is a name), for `target_name`.
    public var name: String? { isName ? host : nil }

    /// The connect address: `tcp:HOST:PORT`.
    public var address: Address { .tcp(host: host, port: port) }

    /// `host:port`, `[v6]:port`.
    public var description: String { Address.hostPort(host, port) }

    /// A target from a host the client sent, or why it cannot be one: the host must be an IP
    /// literal or a DNS name (1-253 bytes of letters, digits, `-`, `_`, `.`), the port 1-65535.
    static func checked(host: String, port: Int) -> Result<ProxyTarget, ProxyHandshakeError> {
        guard (1...65535).contains(port) else {
            return .failure(ProxyHandshakeError("bad target port \(port)"))
        }
        if Address.isIPv6(host) || isIPv4(host) { return .success(ProxyTarget(host: host, port: port)) }
        let bytes = host.utf8
        let valid =
            (1...253).contains(bytes.count) && Address.hasNameCharacters(host)
            && !host.hasPrefix(".") && !host.contains("..")
        guard valid else {
            return .failure(ProxyHandshakeError("bad target host \"\(escaped(host))\""))
        }
        return .success(ProxyTarget(host: host, port: port))
    }

    static func isIPv4(_ text: String) -> Bool {
        var storage = in_addr()
        return inet_pton(AF_INET, text, &storage) == 1
    }

    /// `text` with everything but printable ASCII as `\xNN`, at most 80 bytes.
    static func escaped<S: Sequence<UInt8>>(_ bytes: S) -> String {
        var out = ""
        for (index, byte) in bytes.enumerated() {
            if index == 80 {
                out += "…"
                break
            }
            if (0x20..<0x7f).contains(byte) && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func escaped(_ text: String) -> String { escaped(text.utf8) }
}

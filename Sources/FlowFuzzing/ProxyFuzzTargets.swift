@_spi(Fuzzing) import FlowTransport

extension FuzzTarget {
    /// The SOCKS5 server handshake (``FlowTransport/ProxyHandshakeFuzzing/socks5(_:)``): fed
    /// whole and byte by byte, the same outcome; a leftover is the input's tail.
    public static let proxySOCKS5 = FuzzTarget(name: "proxy-socks5") { bytes in
        ProxyHandshakeFuzzing.socks5(bytes)
    }

    /// The HTTP proxy request head and the forwarding rewriter
    /// (``FlowTransport/ProxyHandshakeFuzzing/http(_:)``).
    public static let proxyHTTP = FuzzTarget(name: "proxy-http") { bytes in
        ProxyHandshakeFuzzing.http(bytes)
    }
}

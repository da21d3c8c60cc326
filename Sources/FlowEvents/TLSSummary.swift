/// What one TLS handshake of a session settled: what a `tls` event says.
///
/// A session through `tls-listen:` has a `client` side (the client's handshake with flowtap),
/// one to `tls:` a `server` side (flowtap's handshake with the target), `tls-listen → tls` both.
/// Every text comes from a peer or its certificate: it is escaped before a terminal shows it.
public struct TLSSummary: Sendable, Equatable {
    /// Which leg: `client` (between the client and flowtap) or `server` (flowtap to the target).
    public enum Side: String, Sendable, Equatable, Codable, CaseIterable {
        /// The client's handshake with flowtap (`tls-listen:`).
        case client
        /// flowtap's handshake with the target (`tls:`).
        case server
    }

    /// The leg (JSON `side`).
    public var side: Side
    /// The protocol version: `TLSv1.3`, `TLSv1.2` (JSON `version`).
    public var version: String
    /// The cipher suite's standard name, `TLS_AES_128_GCM_SHA256`, or `0x1301` for one flowtap
    /// has no name for (JSON `cipher`).
    public var cipher: String
    /// The server name the client asked for (SNI), if any (JSON `sni`).
    public var sni: String?
    /// The application protocol agreed (ALPN: `h2`, `http/1.1`), if any (JSON `alpn`).
    public var alpn: String?
    /// Whether the peer's certificate was verified: `false` on the server side with
    /// `--insecure` (JSON `verified`, on the server side only).
    public var verified: Bool?
    /// The server certificate's subject, RFC 4514 text (JSON `subject`, server side only).
    public var subject: String?
    /// The server certificate's issuer (JSON `issuer`, server side only).
    public var issuer: String?
    /// The server certificate's expiry, seconds since the epoch (JSON `expiry`, server side only).
    public var expiry: Int64?

    /// A summary with every field given.
    public init(
        side: Side, version: String, cipher: String, sni: String? = nil, alpn: String? = nil,
        verified: Bool? = nil, subject: String? = nil, issuer: String? = nil, expiry: Int64? = nil
    ) {
        self.side = side
        self.version = version
        self.cipher = cipher
        self.sni = sni
        self.alpn = alpn
        self.verified = verified
        self.subject = subject
        self.issuer = issuer
        self.expiry = expiry
    }
}

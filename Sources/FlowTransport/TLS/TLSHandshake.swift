/// What a finished TLS handshake settled, on one connection.
public struct TLSHandshake: Sendable, Equatable {
    /// `TLSv1.3`, `TLSv1.2` (or older names, `TLSv1.1`, `TLSv1`).
    public var version: String
    /// The cipher suite's standard name (`TLS_AES_256_GCM_SHA384`), or its number (`0xc02f`)
    /// when flowtap knows no name; `unknown` when the ServerHello was not seen.
    public var cipher: String
    /// The server name: sent by flowtap (client connections) or asked for by the client.
    public var serverName: String?
    /// The application protocol agreed through ALPN, if any.
    public var applicationProtocol: String?
    /// Whether the peer's certificate was verified (false for `--insecure` connections, and for
    /// accepted clients, which present none).
    public var verified: Bool
    /// The peer certificate's subject (RFC 4514 text), when the peer presented one.
    public var peerSubject: String?
    /// The peer certificate's issuer, when the peer presented one.
    public var peerIssuer: String?
    /// The peer certificate's expiry (notAfter), seconds since the epoch.
    public var peerExpiry: Int64?

    /// A handshake with every field given.
    public init(
        version: String, cipher: String, serverName: String?, applicationProtocol: String?, verified: Bool,
        peerSubject: String? = nil, peerIssuer: String? = nil, peerExpiry: Int64? = nil
    ) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
        self.applicationProtocol = applicationProtocol
        self.verified = verified
        self.peerSubject = peerSubject
        self.peerIssuer = peerIssuer
        self.peerExpiry = peerExpiry
    }
}

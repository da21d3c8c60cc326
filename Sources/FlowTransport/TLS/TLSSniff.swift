/// What the first bytes of a proxied session said (``SocketFlow/sniffTLS(server:)``).
public enum TLSSniff: Sendable {
    /// The client's first bytes are a TLS ClientHello: the session can be intercepted.
    case clientHello(ClientHello)
    /// Not a TLS session (or not one that can be opened): why, e.g. "the server spoke first".
    case plain(String)
}

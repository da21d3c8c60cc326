/// A TLS handshake that failed; ``reason`` says what happened and what to do, e.g.
/// `the server's certificate is not trusted (unable to get local issuer certificate): add its CA with --tls-ca FILE, or skip verification with --insecure`.
public struct TLSHandshakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What happened, for a person.
    public var reason: String

    /// An error saying `reason`.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}

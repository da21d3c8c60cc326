/// A ClientHello that cannot be read (see ``ClientHello/parse(_:)``); ``description`` says why.
public struct ClientHelloError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `the client sent plaintext ("GET / HTTP/1…"), not TLS: …`.
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

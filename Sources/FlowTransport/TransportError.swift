/// A failure to set up an endpoint: to listen on an address, to connect to one, or to accept.
///
/// Its ``description`` is one line, what was attempted then why it failed:
/// `cannot listen on 127.0.0.1:8080: address already in use`,
/// `cannot connect to 127.0.0.1:6379: connection refused`,
/// `cannot connect to /tmp/s.sock: no such file or directory`.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was attempted, e.g. `cannot connect to 127.0.0.1:6379`.
    public var action: String
    /// Why it failed, e.g. `connection refused` (the operating system's text, lowercased).
    public var reason: String
    /// The operating system's error number, when the failure came from a system call.
    public var errno: Int32?

    /// Makes an error from what was attempted, why it failed, and the `errno` if there is one.
    public init(action: String, reason: String, errno: Int32? = nil) {
        self.action = action
        self.reason = reason
        self.errno = errno
    }

    /// `ACTION: REASON`.
    public var description: String { "\(action): \(reason)" }
}

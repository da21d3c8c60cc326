/// A read failure of a ``Flow``: the stream broke (reset, timed out, failed in the transport).
///
/// It carries a human-readable reason, and the `errno` when the failure came from the
/// operating system. Its ``description`` is the reason, e.g. `"connection reset by peer"`.
public struct FlowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason, readable by a person: `"connection reset by peer"`.
    public var message: String
    /// The operating system's error number, when there is one.
    public var errno: Int32?

    /// Makes an error with a reason and, optionally, the `errno` it came from.
    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    /// The reason, as given.
    public var description: String { message }
}

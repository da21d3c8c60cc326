#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure to write or read a capture, with one clear line for the user as its ``description``:
/// `"cannot write capture s.pcapng: no space left on device"`,
/// `"s.pcapng: truncated block at offset 1234"`, `"x.txt: neither pcapng nor pcap"`.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// The capture file could not be created or opened for writing.
        case cannotCreate
        /// Writing (or flushing, closing) the capture file failed.
        case cannotWrite
        /// The writer was already closed.
        case closed
        /// The capture file could not be opened or read.
        case cannotRead
        /// The file is not a capture this reader understands, or it is damaged.
        case malformed
    }

    /// What went wrong, broadly.
    public var kind: Kind
    /// The capture's path (or the name given to ``CaptureReader/read(bytes:name:)``).
    public var path: String
    /// Why, in lower case: `"no space left on device"`, `"truncated block at offset 1234"`.
    public var reason: String
    /// The operating system's error number, when the failure came from a system call.
    public var errno: Int32?

    /// Makes an error; `description` is built from the parts.
    public init(_ kind: Kind, path: String, reason: String, errno: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.reason = reason
        self.errno = errno
    }

    /// One line for the user, naming the path and the reason.
    public var description: String {
        switch kind {
        case .cannotCreate: "cannot create capture \(path): \(reason)"
        case .cannotWrite: "cannot write capture \(path): \(reason)"
        case .closed: "cannot write capture \(path): \(reason)"
        case .cannotRead: "cannot read capture \(path): \(reason)"
        case .malformed: "\(path): \(reason)"
        }
    }

    /// An error from a failed system call: the reason is `strerror(code)` in lower case.
    static func system(_ kind: Kind, path: String, errno code: Int32) -> CaptureError {
        let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return CaptureError(kind, path: path, reason: text.lowercased(), errno: code)
    }

    /// A damaged or foreign file.
    static func malformed(_ path: String, _ reason: String) -> CaptureError {
        CaptureError(.malformed, path: path, reason: reason)
    }
}

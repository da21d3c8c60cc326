import NIOCore

/// What a ``Flow/read()`` returns: data, or the end of the stream (mirage-flow's `'a or_eof`).
public enum ReadResult: Sendable, Equatable {
    /// A chunk of at least one byte.
    case data(ByteBuffer)
    /// The peer ended its side and every in-flight byte has been read. Every later read
    /// returns `.eof` again.
    case eof
}

extension ReadResult: CustomStringConvertible {
    /// `"End-of-file"` for ``eof`` (as mirage-flow's `pp_or_eof`), otherwise the chunk's size.
    public var description: String {
        switch self {
        case .eof: "End-of-file"
        case .data(let buffer): "\(buffer.readableBytes) bytes"
        }
    }
}

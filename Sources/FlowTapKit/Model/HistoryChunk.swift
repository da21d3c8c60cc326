import NIOCore

/// One chunk kept for display: where it stands in its direction, when it was read, its bytes,
/// and whether it was sent as read, edited, injected, or not sent at all.
public struct HistoryChunk: Sendable, Equatable {
    /// What became of a chunk.
    public enum Kind: Sendable, Equatable {
        /// Read from the source and passed on unchanged.
        case forwarded
        /// Sent in place of a held chunk the user edited (the original is the ``replaced``
        /// chunk just before it).
        case edited
        /// Typed by the user and sent; never read from the source.
        case injected
        /// Read from the source and replaced by an edit: not sent.
        case replaced
        /// Read from the source and dropped by the user: not sent.
        case dropped
        /// Read from the source and held by the paused gate: not sent yet. Only snapshots show
        /// such a chunk (``DirectionSnapshot/held``); a ``History`` never keeps one.
        case held

        /// True when the destination got (or is getting) these bytes: forwarded, edited, injected.
        public var sent: Bool {
            switch self {
            case .forwarded, .edited, .injected: true
            case .replaced, .dropped, .held: false
            }
        }

        /// True when the chunk's offsets are where its bytes stand in the direction: sent, or
        /// held (the last chunk, where it will go). A replaced or dropped chunk only borrows the
        /// offset of what was sent after it, so searches and byte marks skip it.
        public var searchable: Bool { sent || self == .held }
    }

    /// The direction's byte offset of the chunk's first byte. A chunk that was not sent has the
    /// offset the next sent byte gets (where it would have gone).
    public var offset: Int
    /// When it was read (or typed), in nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// The bytes.
    public var bytes: ByteBuffer
    /// What became of it.
    public var kind: Kind

    /// Makes a chunk record.
    public init(offset: Int, timestamp: UInt64, bytes: ByteBuffer, kind: Kind = .forwarded) {
        self.offset = offset
        self.timestamp = timestamp
        self.bytes = bytes
        self.kind = kind
    }
}

import FlowEvents
import FlowTapKit

/// Where a search matched: a byte range of one direction.
public struct SearchMatch: Sendable, Equatable {
    /// The direction the bytes are in.
    public var direction: Direction
    /// The direction's byte offset of the match's first byte.
    public var offset: Int
    /// The match's length in bytes.
    public var length: Int
    /// True for a match in a chunk that was not sent (replaced by an edit, or dropped): its
    /// offsets are those of what was sent in its place.
    public var unsent: Bool

    /// A match from its parts.
    public init(direction: Direction, offset: Int, length: Int, unsent: Bool = false) {
        self.direction = direction
        self.offset = offset
        self.length = length
        self.unsent = unsent
    }

    /// The direction offsets matched.
    public var range: Range<Int> { offset..<(offset + length) }
}

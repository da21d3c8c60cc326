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

    /// A match from its parts.
    public init(direction: Direction, offset: Int, length: Int) {
        self.direction = direction
        self.offset = offset
        self.length = length
    }

    /// The direction offsets matched.
    public var range: Range<Int> { offset..<(offset + length) }
}

import NIOCore

/// The chunk a paused ``Gate`` holds: read from the source, not delivered yet.
public struct HeldChunk: Sendable, Equatable {
    /// The hold's number in its gate, from 1: commands that act on a held chunk
    /// (``Gate/replace(hold:with:)``, ``Gate/drop(hold:)``) name it, so they never act on a
    /// chunk the user has not seen.
    public var number: Int
    /// The bytes held.
    public var bytes: ByteBuffer

    /// A held chunk record.
    public init(number: Int, bytes: ByteBuffer) {
        self.number = number
        self.bytes = bytes
    }
}

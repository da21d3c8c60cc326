import NIOCore

/// The chunk a paused ``Gate`` holds: read from the source, not delivered yet.
public struct HeldChunk: Sendable, Equatable {
    /// The hold's number in its gate, from 1: commands that act on a held chunk
    /// (``Gate/replace(hold:with:)``, ``Gate/drop(hold:)``) name it, so they never act on a
    /// chunk the user has not seen.
    public var number: Int
    /// The bytes held.
    public var bytes: ByteBuffer
    /// The breakpoint that held it (`--break`'s text, e.g. `c2s:SET`), or `nil` when the
    /// direction was paused by the user.
    public var breakpoint: String?

    /// A held chunk record.
    public init(number: Int, bytes: ByteBuffer, breakpoint: String? = nil) {
        self.number = number
        self.bytes = bytes
        self.breakpoint = breakpoint
    }
}

/// Why a direction's decoder gave up (a `decode_error` event): the rest of the direction went
/// on undecoded.
public struct DecodeFailure: Sendable, Equatable {
    /// The decoder's name (`resp`, `http`, …).
    public var proto: String
    /// The byte offset of the direction where parsing failed.
    public var offset: Int
    /// The reason, as the decoder said it (escaped).
    public var error: String

    /// A failure record.
    public init(proto: String, offset: Int, error: String) {
        self.proto = proto
        self.offset = offset
        self.error = error
    }
}

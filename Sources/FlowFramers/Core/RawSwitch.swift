/// A direction that stops being decoded because the protocol said so (not an error): after an
/// HTTP `CONNECT` answered 2xx or a `101 Switching Protocols`, after a PostgreSQL SSLRequest
/// answered `S` or a GSSENCRequest answered `G`. The side's later bytes are counted, never
/// decoded.
public struct RawSwitch: Sendable, Hashable, CustomStringConvertible {
    /// The direction that goes raw.
    public var side: FrameSide
    /// The first offset of that direction that is raw (the end of its last message).
    public var offset: Int
    /// Why, for a person: e.g. `after CONNECT answered 200`, `TLS after SSLRequest`.
    public var reason: String

    /// A switch of `side` to raw from `offset` for `reason`.
    public init(side: FrameSide, offset: Int, reason: String) {
        self.side = side
        self.offset = offset
        self.reason = reason
    }

    /// `SIDE raw from OFFSET: REASON`.
    public var description: String { "\(side) raw from \(offset): \(reason)" }
}

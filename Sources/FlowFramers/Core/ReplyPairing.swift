/// What a reply message answers: a message of the other direction.
///
/// Latency, as issue 13 defines it, is the time from the request's last byte to the first
/// reply's first byte; the caller knows both times, so it computes the latency from the reply
/// whose ``isFirst`` is true. Later replies to the same request (an HTTP `100 Continue` then the
/// final response, every PostgreSQL backend message up to ReadyForQuery, one confirmation per
/// channel of a RESP `SUBSCRIBE`) carry the same ``request`` with ``isFirst`` false.
public struct ReplyPairing: Sendable, Hashable {
    /// The index (``FramedMessage/index``) of the request in the other direction.
    public var request: Int
    /// Whether this is the first message answering that request.
    public var isFirst: Bool

    /// A pairing with `request` and `isFirst`.
    public init(request: Int, isFirst: Bool) {
        self.request = request
        self.isFirst = isFirst
    }
}

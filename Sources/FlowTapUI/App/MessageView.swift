/// The message view of the selected session (`m`): its decoded messages in a list, and the
/// selected one's bytes below it. A plain value inside ``ViewState``.
public struct MessageView: Sendable, Equatable {
    /// Request/reply pairs (each request followed by its replies, `v`) instead of the order
    /// the messages came in.
    public var pairs = false
    /// The selected row; `nil` while the selection follows the newest row.
    public var selection: MessageSelection?
    /// The row at the top of the list at the last render (settled by the renderer, so the list
    /// only scrolls when the selection leaves it).
    public var top: MessageSelection?
    /// The list's height at the last render: the step of PgUp/PgDn.
    public var pageRows = 10

    /// The list in arrival order, following the newest message.
    public init(pairs: Bool = false) {
        self.pairs = pairs
    }

    /// The latency from which a reply is marked slow (`!`): 100 ms.
    public static let slowLatency: UInt64 = 100_000_000
}

/// The last search: what was typed, the bytes it looks for, and the match shown.
public struct SearchState: Sendable, Equatable {
    /// The query as typed after `/`.
    public var query: String
    /// The bytes searched for (see ``SearchPattern``).
    public var pattern: [UInt8]
    /// The match shown, highlighted; `nil` when none.
    public var match: SearchMatch?

    /// A search from its parts.
    public init(query: String, pattern: [UInt8], match: SearchMatch? = nil) {
        self.query = query
        self.pattern = pattern
        self.match = match
    }
}

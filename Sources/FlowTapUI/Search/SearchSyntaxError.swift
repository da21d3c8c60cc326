/// A search query that cannot be understood; ``message`` is shown in the footer.
public struct SearchSyntaxError: Error, Sendable, Equatable {
    /// What is wrong, for the user: `"hex search: odd number of hex digits"`.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }
}

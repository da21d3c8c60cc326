/// The line being typed in the footer: a search query after `/`, or a capture's file name
/// after `w`. Enter confirms, Esc cancels, Backspace deletes.
public struct Prompt: Sendable, Equatable {
    /// What the line is for.
    public enum Purpose: Sendable, Equatable {
        /// A search query (see ``SearchPattern``).
        case search
        /// The path of the capture to write.
        case save
    }

    /// What the line is for.
    public var purpose: Purpose
    /// The text typed so far.
    public var text: String

    /// A prompt for `purpose`, starting with `text`.
    public init(_ purpose: Purpose, text: String = "") {
        self.purpose = purpose
        self.text = text
    }
}

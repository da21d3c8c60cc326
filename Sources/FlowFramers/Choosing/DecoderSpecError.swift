/// Why a `--decode` value (``DecoderSpec/init(parsing:)``) or a `len:` SPEC
/// (``LengthPrefix/init(parsing:)``) is not valid.
public struct DecoderSpecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text as given.
    public var text: String
    /// What is wrong and what was expected, for a person.
    public var reason: String

    /// An error about `text` for `reason`.
    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    /// `bad decoder "TEXT": REASON`, with the text escaped.
    public var description: String { "bad decoder \"\(SummaryText.escape(text))\": \(reason)" }
}

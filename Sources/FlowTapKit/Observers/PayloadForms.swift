/// How the headless log shows the bytes of each chunk (`data`, and the held, edited and dropped
/// chunks in JSON): not at all (sizes only), as hex, as escaped text, or both.
///
/// flowtap's flags: `-x` (hex), `-v` (text), `--payload text|hex|both`; given together they add up.
/// In text output, hex is socat's `-v -x` block and text a socat `-v` block whose bytes are
/// written in ``FlowCore/ByteEscapes`` notation (each `\n` escape followed by a real line break);
/// in JSON they are the `"hex"` and `"text"` fields.
public struct PayloadForms: OptionSet, Sendable, Hashable {
    /// The bits of the forms (``hex`` 1, ``text`` 2).
    public let rawValue: UInt8

    /// Forms from their bits (``hex`` 1, ``text`` 2).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Hex (`-x`).
    public static let hex = PayloadForms(rawValue: 1)
    /// Escaped text (`-v`).
    public static let text = PayloadForms(rawValue: 2)
    /// Hex and text.
    public static let both: PayloadForms = [.hex, .text]

    /// The forms `--payload` names: `text`, `hex` or `both`; `nil` for any other word.
    public init?(name: String) {
        switch name {
        case "text": self = .text
        case "hex": self = .hex
        case "both": self = .both
        default: return nil
        }
    }
}

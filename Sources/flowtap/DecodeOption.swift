import FlowFramers

/// `--decode auto|none|http|resp|postgres|mqtt|lines|len:SPEC`, as `view` and `replay` take it.
enum DecodeOption {
    /// The usage text of the option.
    static let help = "How to find messages: auto, none, http, resp, postgres, mqtt, lines or len:SPEC."

    /// The decoder `text` names.
    /// - Throws: ``Failure/usage(_:)`` (exit status 2) saying what is wrong.
    static func parse(_ text: String) throws(Failure) -> DecoderSpec {
        do {
            return try DecoderSpec(parsing: text)
        } catch {
            throw Failure.usage("--decode: \(error.description)")
        }
    }
}

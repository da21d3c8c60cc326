import ArgumentParser
import FlowCore
import FlowTapKit

/// The headless log's bytes options, shared by `proxy`, `view` and `replay`: `-x` (hex), `-v`
/// (escaped text, socat `-v` style) and `--payload text|hex|both`; given together they add up
/// (``forms``). Any of them means a headless output, as `--json` does.
struct PayloadOptions: ParsableArguments {
    @Flag(
        name: [.customShort("x"), .customLong("hexdump")],
        help: "Headless: every chunk's bytes as hex (socat -x style; with --json a \"hex\" field).")
    var hexdump = false

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help:
            "Headless: every chunk's bytes as text with escapes (socat -v style: \\r, \\n, \\t, \\\\, \\xNN; with --json a \"text\" field)."
    )
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Headless: show every chunk's bytes as text, hex or both (-v, -x, both).", valueName: "FORM"))
    var payload: String?

    /// The forms asked for, all flags together; empty when none was given.
    /// - Throws: a usage error naming the accepted words for any other `--payload`.
    func forms() throws -> PayloadForms {
        var forms: PayloadForms = []
        if hexdump { forms.insert(.hex) }
        if verbose { forms.insert(.text) }
        if let payload {
            guard let named = PayloadForms(name: payload) else {
                throw Failure.usage("--payload \(TerminalText.escape(payload)): expected text, hex or both")
            }
            forms.formUnion(named)
        }
        return forms
    }
}

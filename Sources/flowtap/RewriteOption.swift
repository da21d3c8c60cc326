import FlowTapKit

/// `--rewrite DIR:FROM=TO`, parsed into ``RewriteRule``s.
enum RewriteOption {
    static let help = """
        FROM and TO are bytes typed with escapes: \\r \\n \\t \\\\ \\xNN (write "=" in FROM as \\x3d). \
        Matching is within one chunk (one read): a pattern split across two chunks is not replaced. \
        Each rewritten chunk prints a rewrite event, and the capture holds the rewritten bytes with \
        a note giving the original's length and SHA-256.
        """

    /// The rules, in order; a bad spec is a usage error naming the spec and the part.
    static func rules(_ specs: [String]) throws -> [RewriteRule] {
        var rules: [RewriteRule] = []
        for spec in specs {
            do {
                rules.append(try RewriteRule.parse(spec))
            } catch {
                throw Failure.usage("--rewrite \"\(spec)\": \(error)")
            }
        }
        return rules
    }
}

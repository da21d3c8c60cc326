import FlowCore
import FlowEvents
import FlowTapKit

extension ScreenRenderer {
    /// What a pane title says of a TLS session: `TLS client TLSv1.3 h2, server TLSv1.3 h2`
    /// (`insecure` after an unverified server); nil without TLS. Escaped for the terminal.
    static func tlsLabel(_ session: SessionSnapshot) -> String? {
        guard !session.tls.isEmpty else { return nil }
        let legs = session.tls.map { "\($0.side.rawValue) \(TLSSummaryText.label($0))" }
        var text = "TLS " + legs.joined(separator: ", ")
        if let notice = session.tlsNotice { text += " (\(notice))" }
        return TerminalText.escape(text)
    }

    /// The session list's client cell: `tls ` before the address of a TLS session.
    static func listedClient(_ session: SessionSnapshot) -> String {
        session.tls.isEmpty ? session.client : "tls " + session.client
    }
}

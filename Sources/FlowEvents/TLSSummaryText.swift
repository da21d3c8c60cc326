#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The one-line text of a `tls` event, shared by the headless log, capture comments and the UI:
/// `TLS client side: TLSv1.3 TLS_AES_128_GCM_SHA256, SNI example.com, ALPN h2` and, on the
/// server side, `, verified, subject CN=…, issuer …, expires 2027-…` (or `NOT verified
/// (--insecure)`). The peer's texts are given as they are: escape before a terminal.
public enum TLSSummaryText {
    /// The line for `summary`.
    public static func line(_ summary: TLSSummary) -> String {
        var text = "TLS \(summary.side.rawValue) side: \(summary.version) \(summary.cipher)"
        if let sni = summary.sni { text += ", SNI \(sni)" }
        text += ", ALPN \(summary.alpn ?? "none")"
        if let verified = summary.verified { text += verified ? ", verified" : ", NOT verified (--insecure)" }
        if let subject = summary.subject { text += ", subject \(subject)" }
        if let issuer = summary.issuer { text += ", issuer \(issuer)" }
        if let expiry = summary.expiry { text += ", expires \(date(expiry))" }
        return text
    }

    /// `2027-01-31T12:00:00Z` for seconds since the epoch.
    public static func date(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(seconds)).ISO8601Format()
    }

    /// A short label for a pane title: `TLSv1.3 h2`, `TLSv1.2` (no ALPN), plus ` insecure`
    /// for an unverified server.
    public static func label(_ summary: TLSSummary) -> String {
        var text = summary.version
        if let alpn = summary.alpn { text += " \(alpn)" }
        if summary.verified == false { text += " insecure" }
        return text
    }
}

import NIOSSL

/// Turns NIOSSL's and BoringSSL's handshake errors into reasons a person can act on.
enum TLSErrorText {
    /// Which leg failed.
    enum Leg {
        /// flowtap connecting to a `tls:` target.
        case upstream(host: String)
        /// a client of `tls-listen:`; `authority` is the CA certificate to trust, if minted.
        case accepted(authority: String?)
    }

    /// The reason for `error` on `leg`.
    static func reason(_ error: any Error, leg: Leg) -> String {
        if let error = error as? ClientHelloError { return error.description }
        if let error = error as? TLSHandshakeError { return error.reason }
        let raw = "\(error)"
        let codes = boringCodes(raw)
        func has(_ names: String...) -> Bool { names.contains { codes.contains($0) || raw.contains($0) } }
        let detail = codes.isEmpty ? compact(raw) : codes.joined(separator: ", ").lowercased()
        // The peer went away mid-handshake (NIOSSL's synthetic "EOF during handshake", or no
        // BoringSSL error at all).
        let closedEarly =
            has("eofDuringHandshake", "EOF during handshake") || codes.isEmpty && raw.contains("sslError([])")
        switch leg {
        case .upstream(let host):
            if has("CERTIFICATE_VERIFY_FAILED") || raw.contains("failedToValidateHostname") {
                return
                    "the server's certificate is not trusted for \(host) (\(detail)): add its CA with --tls-ca FILE, or skip verification with --insecure"
            }
            if has("WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG") {
                return "the server does not speak TLS (\(detail)): is it a plaintext port? connect with tcp:"
            }
            if closedEarly {
                return "the server closed the connection during the TLS handshake"
            }
            if has("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL") {
                return "no TLS version in common with the server (flowtap speaks TLS 1.2 and 1.3)"
            }
            if has("TLSV1_ALERT_NO_APPLICATION_PROTOCOL") {
                return "the server accepts none of the client's ALPN protocols"
            }
            return "TLS handshake with the server failed (\(detail))"
        case .accepted(let authority):
            let trust =
                authority.map { "trust \($0) (curl --cacert \($0), SSL_CERT_FILE=\($0))" }
                ?? "trust the certificate given with --cert"
            if has(
                "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
                "TLSV1_ALERT_DECRYPT_ERROR")
            {
                return "the client rejected flowtap's certificate (\(detail)): \(trust)"
            }
            if has("DECRYPTION_FAILED_OR_BAD_RECORD_MAC") {
                // An OpenSSL client that rejects the certificate in TLS 1.3 sends its alert
                // before it has keys, in the clear; BoringSSL then reads an undecryptable record.
                return
                    "the client aborted the handshake (an alert flowtap could not read, \(detail): what OpenSSL clients send when they reject a certificate under TLS 1.3): \(trust)"
            }
            if has("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST") {
                return
                    "the client does not speak TLS (\(detail)): listen with tcp-listen: for plaintext clients"
            }
            if closedEarly {
                return
                    "the client closed the connection during the TLS handshake (if it does not trust flowtap's certificate: \(trust))"
            }
            if has("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION") {
                return "no TLS version in common with the client (flowtap speaks TLS 1.2 and 1.3)"
            }
            if has("NO_APPLICATION_PROTOCOL") {
                return "the client offers none of the server's ALPN protocols"
            }
            return "TLS handshake with the client failed (\(detail))"
        }
    }

    /// BoringSSL's reason codes in an error's text (`CERTIFICATE_VERIFY_FAILED`): the
    /// upper-case word after each `OPENSSL_internal:`.
    static func boringCodes(_ text: String) -> [String] {
        var codes: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: "OPENSSL_internal:") {
            rest = rest[range.upperBound...]
            let code = rest.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty && !codes.contains(String(code)) { codes.append(String(code)) }
        }
        return codes
    }

    private static func compact(_ text: String) -> String {
        String(text.prefix(200))
    }
}

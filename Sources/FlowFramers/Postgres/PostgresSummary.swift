/// The one-line summaries of PostgreSQL messages, from a message's type and the first bytes of
/// its body.
enum PostgresSummary {
    /// The summary of a typed frontend (client) message.
    static func frontend(_ type: UInt8, _ body: [UInt8]) -> String {
        var out = SummaryBuilder()
        switch type {
        case UInt8(ascii: "Q"): named("Query", cString(body, at: 0), &out)
        case UInt8(ascii: "P"):
            let name = cString(body, at: 0)
            named("Parse", cString(body, at: name.count + 1), &out)
        case UInt8(ascii: "B"): out.append("Bind")
        case UInt8(ascii: "E"): out.append("Execute")
        case UInt8(ascii: "D"): out.append("Describe")
        case UInt8(ascii: "C"): out.append("Close")
        case UInt8(ascii: "H"): out.append("Flush")
        case UInt8(ascii: "S"): out.append("Sync")
        case UInt8(ascii: "X"): out.append("Terminate")
        case UInt8(ascii: "d"): out.append("CopyData")
        case UInt8(ascii: "c"): out.append("CopyDone")
        case UInt8(ascii: "f"): named("CopyFail", cString(body, at: 0), &out)
        case UInt8(ascii: "F"): out.append("FunctionCall")
        case UInt8(ascii: "p"): out.append("PasswordMessage")  // or a SASL/GSS response: never shown
        default: unknown(type, &out)
        }
        return out.text
    }

    /// The summary of a typed backend (server) message.
    static func backend(_ type: UInt8, _ body: [UInt8]) -> String {
        var out = SummaryBuilder()
        let slice = body[...]
        switch type {
        case UInt8(ascii: "R"):
            out.append("Authentication")
            switch ByteParsing.bigEndian(slice, at: 0, count: 4) {
            case 0: out.append("Ok")
            case 2: out.append("KerberosV5")
            case 3: out.append("CleartextPassword")
            case 5: out.append("MD5Password")
            case 7: out.append("GSS")
            case 8: out.append("GSSContinue")
            case 9: out.append("SSPI")
            case 10: named("SASL", cString(body, at: 4), &out)
            case 11: out.append("SASLContinue")
            case 12: out.append("SASLFinal")
            default: break
            }
        case UInt8(ascii: "S"):
            let name = cString(body, at: 0)
            out.append("ParameterStatus: ")
            out.append(bytes: name)
            out.append("=")
            out.append(bytes: cString(body, at: name.count + 1))
        case UInt8(ascii: "K"): out.append("BackendKeyData")
        case UInt8(ascii: "Z"):
            out.append("ReadyForQuery: ")
            switch body.first {
            case UInt8(ascii: "I"): out.append("idle")
            case UInt8(ascii: "T"): out.append("in transaction")
            case UInt8(ascii: "E"): out.append("failed transaction")
            default: out.append(bytes: body.prefix(1))
            }
        case UInt8(ascii: "T"): counted("RowDescription", slice, "field", &out)
        case UInt8(ascii: "t"): counted("ParameterDescription", slice, "parameter", &out)
        case UInt8(ascii: "D"): out.append("DataRow")
        case UInt8(ascii: "C"): named("CommandComplete", cString(body, at: 0), &out)
        case UInt8(ascii: "E"): fields("ErrorResponse", body, &out)
        case UInt8(ascii: "N"): fields("NoticeResponse", body, &out)
        case UInt8(ascii: "A"):
            let channel = cString(body, at: 4)
            out.append("NotificationResponse: ")
            out.append(bytes: channel)
            let payload = cString(body, at: 4 + channel.count + 1)
            if !payload.isEmpty {
                out.append(" ")
                out.append(bytes: payload)
            }
        case UInt8(ascii: "1"): out.append("ParseComplete")
        case UInt8(ascii: "2"): out.append("BindComplete")
        case UInt8(ascii: "3"): out.append("CloseComplete")
        case UInt8(ascii: "n"): out.append("NoData")
        case UInt8(ascii: "I"): out.append("EmptyQueryResponse")
        case UInt8(ascii: "s"): out.append("PortalSuspended")
        case UInt8(ascii: "G"): out.append("CopyInResponse")
        case UInt8(ascii: "H"): out.append("CopyOutResponse")
        case UInt8(ascii: "W"): out.append("CopyBothResponse")
        case UInt8(ascii: "d"): out.append("CopyData")
        case UInt8(ascii: "c"): out.append("CopyDone")
        case UInt8(ascii: "V"): out.append("FunctionCallResponse")
        case UInt8(ascii: "v"): out.append("NegotiateProtocolVersion")
        default: unknown(type, &out)
        }
        return out.text
    }

    /// `StartupMessage: user=… database=…` from a startup body (after the version).
    static func startup(_ body: [UInt8]) -> String {
        var out = SummaryBuilder()
        out.append("StartupMessage")
        var at = 0
        var first = true
        while at < body.count, body[at] != 0 {
            let key = cString(body, at: at)
            let value = cString(body, at: at + key.count + 1)
            out.append(first ? ": " : " ")
            first = false
            out.append(bytes: key)
            out.append("=")
            out.append(bytes: value)
            at += key.count + value.count + 2
        }
        return out.text
    }

    /// The zero-terminated string of `body` from `start` (to the end if cut short).
    static func cString(_ body: [UInt8], at start: Int) -> ArraySlice<UInt8> {
        guard start < body.count else { return [] }
        let end = body[start...].firstIndex(of: 0) ?? body.count
        return body[start..<end]
    }

    private static func named(_ name: String, _ value: ArraySlice<UInt8>, _ out: inout SummaryBuilder) {
        out.append(name)
        guard !value.isEmpty else { return }
        out.append(": ")
        out.append(bytes: value)
    }

    private static func counted(
        _ name: String, _ body: ArraySlice<UInt8>, _ noun: String, _ out: inout SummaryBuilder
    ) {
        out.append(name)
        guard let count = ByteParsing.bigEndian(body, at: 0, count: 2) else { return }
        out.append(": \(count) \(noun)\(count == 1 ? "" : "s")")
    }

    /// `NAME: SEVERITY CODE MESSAGE` from the fields of an ErrorResponse or NoticeResponse.
    private static func fields(_ name: String, _ body: [UInt8], _ out: inout SummaryBuilder) {
        var severity: ArraySlice<UInt8> = []
        var code: ArraySlice<UInt8> = []
        var message: ArraySlice<UInt8> = []
        var at = 0
        while at < body.count, body[at] != 0 {
            let value = cString(body, at: at + 1)
            switch body[at] {
            case UInt8(ascii: "S") where severity.isEmpty, UInt8(ascii: "V"): severity = value
            case UInt8(ascii: "C"): code = value
            case UInt8(ascii: "M"): message = value
            default: break
            }
            at += value.count + 2
        }
        out.append(name)
        let parts = [severity, code, message].filter { !$0.isEmpty }
        for (n, part) in parts.enumerated() {
            out.append(n == 0 ? ": " : " ")
            out.append(bytes: part)
        }
    }

    private static func unknown(_ type: UInt8, _ out: inout SummaryBuilder) {
        out.append("Message ")
        out.append(bytes: [type])
    }
}

import FlowEvents

/// The words a capture shows for an event (`opt_comment`, `frame.comment` in Wireshark):
/// `"flowtap #3 c2s: write error: connection reset by peer"`. For people only: readers use the
/// event records, never these.
enum CaptureComment {
    /// The comment of `event` of session `conn`; `tcp` names the synthesized endpoints on `open`.
    static func text(_ event: SessionEvent, conn: Int, tcp: (client: WireEndpoint, server: WireEndpoint)?)
        -> String
    {
        let head = "flowtap #\(conn)"
        func label(_ address: PeerAddress) -> String {
            switch address {
            case .ip: address.description
            case .unix(let path): path.isEmpty ? "unix:(unnamed)" : "unix:\(path)"
            }
        }
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        switch event.kind {
        case .open(let c, let s):
            var text = "\(head): open \(label(c)) → \(label(s))"
            if let name = event.targetName { text += " (\(name))" }
            if let tcp, tcp.client.description != c.description || tcp.server.description != s.description {
                text += " (TCP \(tcp.client) → \(tcp.server))"
            }
            return text
        case .connectError(_, let s, let e): return "\(head): connect to \(label(s)) failed: \(e)"
        case .handshakeError(let c, let e): return "\(head): proxy handshake from \(label(c)) failed: \(e)"
        case .data(let d, _, let b): return "\(head) \(d.rawValue): \(b.readableBytes) bytes"
        case .eof(let d): return "\(head) \(d.rawValue): EOF from the \(d == .c2s ? "client" : "server")"
        case .shutdown(let d):
            return "\(head) \(d.rawValue): shutdown, FIN passed on to the \(d == .c2s ? "server" : "client")"
        case .readError(let d, let e): return "\(head) \(d.rawValue): read error: \(e)"
        case .writeError(let d, let e): return "\(head) \(d.rawValue): write error: \(e)"
        case .pause(let d): return "\(head) \(d.rawValue): paused"
        case .resume(let d): return "\(head) \(d.rawValue): resumed"
        case .step(let d): return "\(head) \(d.rawValue): step"
        case .fault(let d, let fault): return "\(head): \(d.rawValue) fault: \(fault)"
        case .held(let d, let held):
            return held.map { "\(head) \(d.rawValue): holding \(plural($0.bytes.readableBytes, "byte"))" }
                ?? "\(head) \(d.rawValue): holding nothing"
        case .edit(let d, let originalBytes, let digest, let bytes, _):
            return
                "\(head): \(d.rawValue) edit: held chunk replaced; original \(plural(originalBytes, "byte")), "
                + "sha256 \(digest); sent \(plural(bytes, "byte"))"
        case .drop(let d, let bytes, let digest, _):
            return
                "\(head): \(d.rawValue) drop: held chunk of \(plural(bytes, "byte")), sha256 \(digest), not sent"
        case .inject(let d, let bytes):
            return "\(head): \(d.rawValue) inject: \(plural(bytes, "byte")) typed by the user"
        case .rewrite(let d, let count, let originalBytes, let bytes, let digest):
            return "\(head): rewrite \(d.rawValue): \(plural(count, "substitution")); "
                + "original \(plural(originalBytes, "byte")), sha256 \(digest); sent \(plural(bytes, "byte"))"
        case .listening(let address): return "flowtap: listening on \(address)"
        case .captureError(let error): return "\(head): capture error: \(error)"
        case .acceptError(let error): return "flowtap: accept error: \(error)"
        case .acceptPaused(let sessions, let limit):
            return "flowtap: accept paused at \(sessions) of \(limit) sessions"
        case .acceptResumed(let sessions): return "flowtap: accept resumed at \(sessions) sessions"
        case .close: return "\(head): close"
        case .gap(let d, let from, let to):
            return "\(head) \(d.rawValue): bytes \(from)–\(to) not kept (\(plural(to - from, "byte")))"
        case .note(let t): return "\(head): \(t)"
        case .controlError(let error, let line):
            return "\(head): control error (stdin line \(line)): \(error)"
        case .decoder(let proto): return "\(head): decoded as \(proto)"
        case .breakpoints(let list):
            return "flowtap: breakpoints: " + (list.isEmpty ? "none" : list.joined(separator: ", "))
        case .message(let d, let m):
            var text = "\(head) \(d.rawValue): \(m.proto) #\(m.index) \(m.summary)"
            if let request = m.request { text += " (reply to #\(request))" }
            if let latency = m.latency { text += " \(Milliseconds(nanoseconds: latency).jsonText) ms" }
            return text
        case .decodeError(let d, let proto, let offset, let error):
            return
                "\(head) \(d.rawValue): \(proto) decode error at byte \(offset): \(error); the rest passes raw"
        case .tls(let summary): return "\(head): \(TLSSummaryText.line(summary))"
        case .tlsError(let side, let error): return "\(head): TLS error (\(side.rawValue) side): \(error)"
        }
    }
}

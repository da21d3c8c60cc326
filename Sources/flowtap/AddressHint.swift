import FlowTransport

/// What to suggest when an address on the command line is refused: the likely rewrite of the
/// arguments (`did you mean `tcp-listen:8080 tcp:localhost:6379`?` for `flowtap 8080
/// localhost:6379`), or the option that was missing (`--as-server` for replay with a listen
/// address). Only the text is guessed: a suggestion is given only when it parses as the right
/// kind of address.
enum AddressHint {
    /// The schemes a typo is compared with (a listen address's, or a target's).
    private static let listenSchemes = [
        "tcp-listen", "unix-listen", "tls-listen", "socks5-listen", "http-proxy-listen",
    ]
    private static let connectSchemes = ["tcp", "unix", "tls"]
    /// socat's and URLs' schemes flowtap does not speak: `udp:1` is no `HOST:PORT`.
    private static let foreignSchemes: Set<String> = [
        "udp", "udp4", "udp6", "udp-listen", "udp4-listen", "udp6-listen", "udp-recv", "sctp", "sctp-listen",
        "ssl", "ssl-l", "openssl", "openssl-listen", "exec", "system", "stdio", "file", "open", "pipe", "pty",
        "http", "https", "ws", "wss",
    ]

    /// Runs `body` (the parsing of addresses); a ``Failure`` it throws gets `hint()`'s line
    /// added, when there is one. Other errors pass unchanged.
    static func amending<T>(_ body: () throws -> T, hint: () -> String?) throws -> T {
        do {
            return try body()
        } catch let failure as Failure {
            guard let line = hint() else { throw failure }
            throw Failure(message: failure.message + "\n" + line, status: failure.status)
        }
    }

    /// `did you mean `LISTEN TARGET`?` with both arguments rewritten to what was likely meant
    /// (the two swapped, a scheme added or its typo fixed, a listen scheme where a connect one
    /// was given or the other way round); `nil` when no rewrite parses.
    static func proxy(listen: String, target: String) -> String? {
        if let first = try? Address.parse(listen), let second = try? Address.parse(target),
            !first.isListen, second.isListen
        {
            return "did you mean `\(target) \(listen)`? (LISTEN comes first)"
        }
        guard let newListen = rewrite(listen, listening: true),
            let newTarget = rewrite(target, listening: false),
            newListen != listen || newTarget != target
        else { return nil }
        return "did you mean `\(newListen) \(newTarget)`?"
    }

    /// For replay: a listen address without `--as-server` names the option; `nil` otherwise.
    static func replay(target: String, asServer: Bool) -> String? {
        guard !asServer, let address = try? Address.parse(target), address.isListen else { return nil }
        return "to play the captured server's side to clients connecting there, add --as-server"
    }

    /// `text` when it parses as the right kind of address, else the address likely meant (one
    /// that parses as that kind), or `nil`.
    static func rewrite(_ text: String, listening: Bool) -> String? {
        func valid(_ candidate: String) -> String? {
            guard let address = try? Address.parse(candidate), address.isListen == listening else {
                return nil
            }
            return candidate
        }
        if let address = try? Address.parse(text) {
            if address.isListen == listening { return text }
            // The other kind of the same endpoint: tcp:HOST:PORT as LISTEN, unix-listen:PATH as TARGET.
            guard let colon = text.firstIndex(of: ":") else { return nil }
            let scheme = text[..<colon].lowercased()
            let rest = text[text.index(after: colon)...]
            let other =
                switch scheme {
                case "tcp": "tcp-listen"
                case "tcp-listen": "tcp"
                case "unix": "unix-listen"
                case "unix-listen": "unix"
                case "tls": "tls-listen"
                case "tls-listen": "tls"
                default: ""
                }
            guard !other.isEmpty else { return nil }
            return valid(other + ":" + rest)
        }
        let tcp = listening ? "tcp-listen" : "tcp"
        let unix = listening ? "unix-listen" : "unix"
        // A path: a Unix socket.
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("~/") {
            return valid(unix + ":" + text)
        }
        // A port alone: listen on it, or connect to it on this machine.
        if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
            return valid(listening ? "\(tcp):\(text)" : "\(tcp):localhost:\(text)")
        }
        // A scheme with a typo (tcp-lsten:8080).
        if let colon = text.firstIndex(of: ":") {
            let scheme = text[..<colon].lowercased()
            let rest = text[text.index(after: colon)...]
            if foreignSchemes.contains(scheme) { return nil }
            let known = listening ? listenSchemes : connectSchemes
            if let near = known.first(where: { distance(String(scheme), $0) <= ($0.count >= 8 ? 2 : 1) }) {
                if let fixed = valid(near + ":" + rest) { return fixed }
            }
        }
        // HOST:PORT or [IPv6]:PORT without a scheme.
        return valid("\(tcp):\(text)")
    }

    /// The Levenshtein distance of two short texts (schemes: at most a few dozen characters, the
    /// rest is never compared).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(32))
        let b = Array(b.prefix(32))
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(
                    previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

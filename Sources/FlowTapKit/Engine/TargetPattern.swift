#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `--only HOST[:PORT]`: which sessions are observed, by their target.
///
/// HOST is a shell glob (`*`, `?`, `[…]`), matched without regard to case against the host the
/// client named (a proxy client's `target_name`) and against the target's IP address; either
/// matching is enough. An IPv6 host goes in brackets (`[::1]:6379`). Without `:PORT` every port
/// matches. Sessions no pattern matches are passed through unobserved (see
/// ``Inspector/Options/only``).
public struct TargetPattern: Sendable, Equatable, CustomStringConvertible {
    /// The host glob, lowercased.
    public let host: String
    /// The port, or nil for any.
    public let port: Int?

    /// Parses `HOST[:PORT]`.
    /// - Throws: ``TargetPatternError`` for an empty host, a port that is not 1-65535, or an
    ///   unclosed bracket.
    public init(parsing text: String) throws(TargetPatternError) {
        func fail(_ problem: String) -> TargetPatternError {
            TargetPatternError(input: text, problem: problem)
        }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing \"]\"") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("expected \":PORT\" after \"]\"") }
                portText = after.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text[...]
        }
        if host.isEmpty { throw fail("empty host (use * for any host)") }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port), portText.allSatisfy(\.isNumber) else {
                throw fail("port \"\(portText)\" is not 1-65535")
            }
            self.port = port
        } else {
            self.port = nil
        }
        self.host = host.lowercased()
    }

    /// `HOST[:PORT]`, with an IPv6 host in brackets.
    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(shown):\($0)" } ?? shown
    }

    /// Whether a session to `address` (an IP literal or the name connected to) on `port`,
    /// named `name` by its client, matches.
    public func matches(address: String, name: String?, port: Int) -> Bool {
        if let wanted = self.port, wanted != port { return false }
        return [address, name].compactMap { $0 }.contains { candidate in
            fnmatch(host, candidate.lowercased(), 0) == 0
        }
    }
}

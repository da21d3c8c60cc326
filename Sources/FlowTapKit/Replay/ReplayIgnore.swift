import Synchronization

/// `--ignore REGEX` (repeatable): reply messages a replay does not compare, because servers
/// answer them differently on every run (`INFO`, `TIME`, a `Date:` header's response).
///
/// A message of the compared direction (the server's replies; with `--as-server`, the client's
/// requests) is skipped, in the capture and in the replay alike, when a pattern matches its
/// summary or the summary of the request it answers (so `--ignore '^TIME'` skips the reply to
/// `TIME`). Matching is a search anywhere in the summary (anchor with `^`/`$`), case-sensitive,
/// in Swift's regex syntax; summaries are at most a few hundred characters.
public struct ReplayIgnore: Sendable, CustomStringConvertible {
    /// Why a pattern is refused.
    public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The pattern as given.
        public var pattern: String
        /// What is wrong with it.
        public var reason: String

        /// `bad --ignore pattern "(": REASON`.
        public var description: String { "bad --ignore pattern \"\(pattern)\": \(reason)" }
    }

    /// `Regex<AnyRegexOutput>` is not `Sendable`: the compiled patterns are used under a lock.
    private final class Matchers: Sendable {
        let regexes: Mutex<[Regex<AnyRegexOutput>]>
        init(_ regexes: consuming sending [Regex<AnyRegexOutput>]) { self.regexes = Mutex(regexes) }
    }

    /// The patterns, as given.
    public let patterns: [String]
    private let matchers: Matchers

    /// Ignores nothing.
    public init() {
        patterns = []
        matchers = Matchers([])
    }

    /// Ignores the messages `patterns` match.
    /// - Throws: ``PatternError`` for an empty pattern (it would skip every message) or one that
    ///   is not a regular expression.
    public init(_ patterns: [String]) throws(PatternError) {
        var regexes: [Regex<AnyRegexOutput>] = []
        for pattern in patterns {
            guard !pattern.isEmpty else {
                throw PatternError(pattern: pattern, reason: "an empty pattern would skip every message")
            }
            do {
                regexes.append(try Regex(pattern))
            } catch {
                throw PatternError(pattern: pattern, reason: "not a regular expression: \(error)")
            }
        }
        self.patterns = patterns
        matchers = Matchers(regexes)
    }

    /// Whether no pattern was given.
    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether a message with `summary`, answering a request with `requestSummary` (nil when it
    /// answers none), is skipped.
    public func skips(_ summary: String, request requestSummary: String?) -> Bool {
        guard !patterns.isEmpty else { return false }
        return matchers.regexes.withLock { regexes in
            regexes.contains { regex in
                // A match that throws (it cannot, with no custom components) counts as no match.
                (try? regex.firstMatch(in: summary)) != nil
                    || requestSummary.map { (try? regex.firstMatch(in: $0)) != nil } ?? false
            }
        }
    }

    /// The patterns, one `--ignore` each.
    public var description: String { patterns.map { "--ignore \($0)" }.joined(separator: " ") }
}

import FlowEvents
import Synchronization

/// A breakpoint (`--break [DIR:]REGEX`, or `b` in the UI): it holds every message of its
/// direction (both when none is given) whose summary matches the regular expression — with
/// `--decode none`, every chunk whose escaped text matches — exactly as if the user had paused
/// the direction just before it.
///
/// Matching is a search anywhere in the summary (anchor with `^`/`$`), case-sensitive, in
/// Swift's regex syntax. Summaries are at most a few hundred characters, so a match takes
/// bounded time whatever the pattern.
public struct Breakpoint: Sendable, Hashable, CustomStringConvertible {
    /// The direction it watches; `nil` for both.
    public let direction: Direction?
    /// The regular expression, as given.
    public let pattern: String
    /// The compiled expression. `Regex<AnyRegexOutput>` is not `Sendable`, so it is used under
    /// a lock (a breakpoint is matched once per message).
    private let regex: Matcher

    private final class Matcher: Sendable {
        let regex: Mutex<Regex<AnyRegexOutput>>
        init(_ regex: consuming sending Regex<AnyRegexOutput>) { self.regex = Mutex(regex) }
    }

    /// Parses `[c2s:|s2c:]REGEX`.
    /// - Throws: ``BreakpointError`` for an empty pattern or one that is not a regular
    ///   expression (the error says why, e.g. `bad breakpoint "c2s:(": …`).
    public init(parsing text: String) throws(BreakpointError) {
        var direction: Direction?
        var pattern = Substring(text)
        for candidate in Direction.allCases where text.hasPrefix("\(candidate.rawValue):") {
            direction = candidate
            pattern = pattern.dropFirst(candidate.rawValue.count + 1)
        }
        guard !pattern.isEmpty else {
            throw BreakpointError(text: text, reason: "an empty pattern would hold every message")
        }
        do {
            regex = Matcher(try Regex(String(pattern)))
        } catch {
            throw BreakpointError(text: text, reason: "not a regular expression: \(error)")
        }
        self.direction = direction
        self.pattern = String(pattern)
    }

    /// Whether a message of `direction` with this summary (or escaped chunk text) is held.
    public func matches(_ summary: String, in direction: Direction) -> Bool {
        if let own = self.direction, own != direction { return false }
        return regex.regex.withLock { regex in
            // A match that throws (it cannot, with no custom components) counts as no match.
            (try? regex.firstMatch(in: summary)) != nil
        }
    }

    /// `c2s:SET`, or the pattern alone when it watches both directions: what `--break` took.
    public var description: String {
        direction.map { "\($0.rawValue):\(pattern)" } ?? pattern
    }

    /// Breakpoints are equal when they read the same.
    public static func == (a: Breakpoint, b: Breakpoint) -> Bool { a.description == b.description }

    /// Hashes the text.
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

import FlowCore
import FlowEvents

/// One byte-pattern substitution of `flowtap proxy --rewrite DIR:FROM=TO`.
///
/// Applied to every chunk of its direction(s) as the chunk is read, before it is reported,
/// captured and forwarded: every non-overlapping occurrence of ``from``, left to right, is
/// replaced by ``to``. Matching is within a chunk only: a pattern split across two chunks (two
/// reads) is not matched. Several rules apply in the order given, each to the result of the
/// ones before.
public struct RewriteRule: Sendable, Equatable {
    /// Which directions the rule applies to.
    public var directions: Set<Direction>
    /// The bytes looked for; never empty.
    public var from: [UInt8]
    /// The bytes put in their place; may be empty (the pattern is deleted).
    public var to: [UInt8]

    /// A rule replacing `from` (not empty) by `to` in `directions`.
    public init(directions: Set<Direction>, from: [UInt8], to: [UInt8]) {
        precondition(!from.isEmpty, "a rewrite pattern cannot be empty")
        self.directions = directions
        self.from = from
        self.to = to
    }

    /// Why a `--rewrite` spec is not valid; the description names the part that is wrong.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// One line, e.g. `DIR must be c2s, s2c or both, not "up"`.
        public var description: String
    }

    /// Parses `DIR:FROM=TO`: DIR is `c2s`, `s2c` or `both`; FROM and TO are ``ByteEscapes``
    /// text. The first `=` separates FROM from TO, so an `=` in FROM is written `\x3d` (TO may
    /// hold `=` as is).
    /// - Throws: ``ParseError`` naming DIR, FROM or TO: `DIR must be c2s, s2c or both, not "up"`,
    ///   `no "=" between FROM and TO`, `FROM is empty`, `FROM: unknown escape \q at character 2`.
    public static func parse(_ spec: String) throws(ParseError) -> RewriteRule {
        guard let colon = spec.firstIndex(of: ":") else {
            throw ParseError(description: "expected DIR:FROM=TO (DIR is c2s, s2c or both)")
        }
        let directions: Set<Direction>
        switch spec[..<colon].lowercased() {
        case "c2s": directions = [.c2s]
        case "s2c": directions = [.s2c]
        case "both": directions = [.c2s, .s2c]
        case let other: throw ParseError(description: "DIR must be c2s, s2c or both, not \"\(other)\"")
        }
        let rest = spec[spec.index(after: colon)...]
        guard let equals = rest.firstIndex(of: "=") else {
            throw ParseError(description: "no \"=\" between FROM and TO (an \"=\" in FROM is written \\x3d)")
        }
        let from: [UInt8]
        let to: [UInt8]
        do {
            from = try ByteEscapes.decode(String(rest[..<equals]))
        } catch {
            throw ParseError(description: "FROM: \(error)")
        }
        do {
            to = try ByteEscapes.decode(String(rest[rest.index(after: equals)...]))
        } catch {
            throw ParseError(description: "TO: \(error)")
        }
        guard !from.isEmpty else { throw ParseError(description: "FROM is empty") }
        return RewriteRule(directions: directions, from: from, to: to)
    }

    /// `bytes` with every non-overlapping occurrence of ``from`` replaced, and how many there were.
    public func apply(to bytes: [UInt8]) -> (bytes: [UInt8], count: Int) {
        guard bytes.count >= from.count else { return (bytes, 0) }
        var out: [UInt8] = []
        var count = 0
        var i = 0
        let first = from[0]
        let last = bytes.count - from.count
        while i <= last {
            if bytes[i] == first && bytes[i..<(i + from.count)].elementsEqual(from) {
                if count == 0 {
                    out.reserveCapacity(bytes.count)
                    out += bytes[0..<i]
                }
                out += to
                count += 1
                i += from.count
            } else {
                if count > 0 { out.append(bytes[i]) }
                i += 1
            }
        }
        guard count > 0 else { return (bytes, 0) }
        out += bytes[i...]
        return (out, count)
    }
}

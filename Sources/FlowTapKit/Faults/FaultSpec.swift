import FlowCore
import FlowEvents
import FlowFaults

/// A fault for one or both directions of every session, as `--fault DIR:KIND[=VALUE]` gives it.
///
/// `DIR` is `c2s` (the data going to the server: the fault is applied to the server-side
/// endpoint), `s2c` (to the client-side endpoint) or `both`. The kinds:
///
/// | kind | value | fault |
/// |---|---|---|
/// | `latency` | `200ms`, `1.5s`, `200ms~50ms` (jitter) | ``Fault/latency(_:jitter:seed:)`` |
/// | `bandwidth` | `64KiB/s`, `1MiB/s`, `1000/s` | ``Fault/bandwidth(bytesPerSecond:)`` |
/// | `slice` | `1`, `16,delay=10ms` | ``Fault/slice(bytes:delay:)`` |
/// | `limit` | `1MiB`, `100` | ``Fault/limit(bytes:)`` |
/// | `reset` | `10KiB`, `now` (at the first byte) | ``Fault/reset(afterBytes:)`` |
/// | `slowclose` | `2s` | ``Fault/slowClose(_:)`` |
/// | `blackhole` | none | ``Fault/blackhole`` |
///
/// Durations take `ns`, `us`, `ms`, `s` or `min` (decimals allowed: `1.5s`); sizes take `B`,
/// `KiB`/`K`, `MiB`/`M`, `GiB`/`G` (binary) or `KB`, `MB`, `GB` (decimal), or none (bytes).
public struct FaultSpec: Sendable, Hashable, CustomStringConvertible {
    /// The direction(s) a spec applies to.
    public enum Target: String, Sendable, Hashable, CaseIterable {
        /// Client to server: applied to what is written to the server.
        case c2s
        /// Server to client: applied to what is written to the client.
        case s2c
        /// Both directions, each with its own instance of the fault.
        case both

        /// The directions covered.
        public var directions: [Direction] {
            switch self {
            case .c2s: [.c2s]
            case .s2c: [.s2c]
            case .both: [.c2s, .s2c]
            }
        }
    }

    /// Where the fault applies.
    public var target: Target
    /// The fault.
    public var fault: Fault

    /// A spec applying `fault` to `target`.
    public init(_ target: Target, _ fault: Fault) {
        self.target = target
        self.fault = fault
    }

    /// `DIR:KIND=VALUE`, as parsed: `s2c:latency=200ms`.
    public var description: String { "\(target.rawValue):\(fault)" }

    /// Parses `DIR:KIND[=VALUE]`.
    /// - Throws: ``FaultSpecError`` naming the part that is wrong.
    public static func parse(_ text: String) throws(FaultSpecError) -> FaultSpec {
        func fail(_ problem: String) -> FaultSpecError { FaultSpecError(spec: text, problem: problem) }
        guard let colon = text.firstIndex(of: ":") else {
            throw fail("missing the direction (expected DIR:KIND=VALUE, e.g. s2c:latency=200ms)")
        }
        let dirText = String(text[..<colon])
        guard let target = Target(rawValue: dirText) else {
            throw fail("bad direction \"\(dirText)\" (expected c2s, s2c or both)")
        }
        let rest = text[text.index(after: colon)...]
        let kind: String
        let value: String?
        if let equals = rest.firstIndex(of: "=") {
            kind = String(rest[..<equals])
            value = String(rest[rest.index(after: equals)...])
        } else {
            kind = String(rest)
            value = nil
        }
        func needValue(_ example: String) throws(FaultSpecError) -> String {
            guard let value, !value.isEmpty else {
                throw fail("\(kind) needs a value, e.g. \(kind)=\(example)")
            }
            return value
        }
        func duration(_ part: String) throws(FaultSpecError) -> Duration {
            guard let d = parseDuration(part) else {
                throw fail("bad duration \"\(part)\" (expected e.g. 200ms, 1.5s)")
            }
            return d
        }
        func size(_ part: String) throws(FaultSpecError) -> Int {
            guard let n = parseSize(part) else {
                throw fail("bad size \"\(part)\" (expected e.g. 1MiB, 64KiB, 1000)")
            }
            return n
        }
        let fault: Fault
        switch kind {
        case "latency":
            let v = try needValue("200ms")
            let parts = v.split(separator: "~", maxSplits: 1, omittingEmptySubsequences: false).map(
                String.init)
            let jitter = parts.count > 1 ? try duration(parts[1]) : .zero
            fault = .latency(try duration(parts[0]), jitter: jitter)
        case "bandwidth":
            let v = try needValue("64KiB/s")
            let amount = v.hasSuffix("/s") ? String(v.dropLast(2)) : v
            guard let rate = parseSize(amount), rate > 0 else {
                throw fail("bad rate \"\(v)\" (expected e.g. 64KiB/s, 1MiB/s, at least 1/s)")
            }
            fault = .bandwidth(bytesPerSecond: rate)
        case "slice":
            let v = try needValue("1")
            let parts = v.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let bytes = parseSize(parts[0]), bytes > 0 else {
                throw fail("bad slice size \"\(parts[0])\" (expected a byte count of at least 1, e.g. 1, 16)")
            }
            var delay = Duration.zero
            for option in parts.dropFirst() {
                guard option.hasPrefix("delay=") else {
                    throw fail(
                        "unknown slice option \"\(option)\" (expected delay=DURATION, e.g. delay=10ms)")
                }
                delay = try duration(String(option.dropFirst("delay=".count)))
            }
            fault = .slice(bytes: bytes, delay: delay)
        case "limit":
            fault = .limit(bytes: try size(try needValue("1MiB")))
        case "reset":
            let v = try needValue("10KiB")
            fault = .reset(afterBytes: v == "now" ? 0 : try size(v))
        case "slowclose":
            fault = .slowClose(try duration(try needValue("2s")))
        case "blackhole":
            if let value { throw fail("blackhole takes no value, not \"\(value)\"") }
            fault = .blackhole
        default:
            throw fail(
                "unknown fault \"\(kind)\" (expected latency, bandwidth, slice, limit, reset, slowclose"
                    + " or blackhole)")
        }
        return FaultSpec(target, fault)
    }

    /// `200ms`, `1.5s`, `750us`, `2min` → a duration; `nil` when malformed.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("min", 60e9), ("s", 1e9),
        ]
        for (unit, scale) in units where text.hasSuffix(unit) {
            guard let number = decimal(String(text.dropLast(unit.count))) else { return nil }
            let nanoseconds = (number * scale).rounded()
            guard nanoseconds < 1e18 else { return nil }
            return .nanoseconds(Int64(nanoseconds))
        }
        return nil
    }

    /// A byte count as `--fault` and `--history` take it: `1MiB`, `64KiB`, `1000`, `1.5MB`
    /// (K, M, G and KiB, MiB, GiB are powers of 1024; KB, MB, GB of 1000) → bytes, rounded;
    /// `nil` when malformed, negative, or 10^15 bytes and more.
    public static func parseSize(_ text: String) -> Int? {
        let units: [(String, Double)] = [
            ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("KB", 1e3), ("MB", 1e6),
            ("GB", 1e9), ("K", 1024), ("M", 1_048_576), ("G", 1_073_741_824), ("B", 1),
        ]
        var number = text
        var scale = 1.0
        for (unit, value) in units where text.hasSuffix(unit) {
            number = String(text.dropLast(unit.count))
            scale = value
            break
        }
        guard let n = decimal(number) else { return nil }
        let bytes = (n * scale).rounded()
        guard bytes < 1e15 else { return nil }
        return Int(bytes)
    }

    /// A non-negative decimal without sign or exponent: `12`, `1.5`.
    private static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            text.filter({ $0 == "." }).count <= 1, text.first != ".", text.last != "."
        else { return nil }
        return Double(text)
    }
}

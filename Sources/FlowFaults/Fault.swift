/// One network fault, as a value: what a ``FaultStack`` injects into the data written to the
/// flow it wraps, and what each fault combinator (``LatencyFlow``, ``BandwidthFlow``,
/// ``SliceFlow``, ``LimitFlow``, ``ResetFlow``, ``SlowCloseFlow``, ``BlackholeFlow``) does.
///
/// A fault acts on what is *written* to the wrapped flow, that is on the data going towards that
/// endpoint; reads pass through unchanged. Its ``description`` is the form the command line
/// takes: `latency=200ms~50ms`, `bandwidth=64KiB/s`, `slice=1,delay=10ms`, `limit=1MiB`,
/// `reset=10KiB`, `slowclose=2s`, `blackhole`.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// Each chunk is delivered `delay` (± up to `jitter`, drawn from a generator seeded with
    /// `seed`) after it was written, without slowing the writer down; order is kept.
    case latency(Duration, jitter: Duration = .zero, seed: UInt64 = 0)
    /// At most `bytesPerSecond` bytes a second, delivered in small paced pieces.
    case bandwidth(bytesPerSecond: Int)
    /// Chunks are cut into pieces of at most `bytes` bytes, each at least `delay` after the
    /// previous one.
    case slice(bytes: Int, delay: Duration = .zero)
    /// `bytes` bytes pass, then the direction ends with a FIN; the rest is refused.
    case limit(bytes: Int)
    /// `afterBytes` bytes pass, then both sides are reset (0: at the first write).
    case reset(afterBytes: Int)
    /// A FIN is held back for the duration before it is passed on.
    case slowClose(Duration)
    /// Nothing is delivered: the writer stalls (nothing is lost) until the fault is removed.
    case blackhole

    /// The command-line form: `latency=200ms`, `bandwidth=64KiB/s`, `blackhole`.
    public var description: String {
        switch self {
        case .latency(let delay, let jitter, _):
            jitter > .zero
                ? "latency=\(Self.format(delay))~\(Self.format(jitter))" : "latency=\(Self.format(delay))"
        case .bandwidth(let rate): "bandwidth=\(Self.format(bytes: rate))/s"
        case .slice(let bytes, let delay):
            delay > .zero ? "slice=\(bytes),delay=\(Self.format(delay))" : "slice=\(bytes)"
        case .limit(let bytes): "limit=\(Self.format(bytes: bytes))"
        case .reset(let bytes): bytes == 0 ? "reset=now" : "reset=\(Self.format(bytes: bytes))"
        case .slowClose(let delay): "slowclose=\(Self.format(delay))"
        case .blackhole: "blackhole"
        }
    }

    /// A duration in the largest unit that keeps it whole: `"2s"`, `"200ms"`, `"1500us"`,
    /// `"7ns"`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        for (unit, scale) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1000)] as [(String, Int64)]
        where nanoseconds % scale == 0 {
            return "\(nanoseconds / scale)\(unit)"
        }
        return "\(nanoseconds)ns"
    }

    /// A byte count in the largest binary unit that keeps it whole: `"1MiB"`, `"64KiB"`, `"1000"`.
    public static func format(bytes: Int) -> String {
        for (unit, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(unit)"
        }
        return "\(bytes)"
    }
}

/// Counters of one direction of a transfer: what ``copy(from:to:clock:)`` read and wrote, and
/// for how long (mirage-flow's `stats`).
///
/// `read*` counts what was read from the source, `write*` what the destination accepted; they
/// differ only when a write failed (the failed chunk was read but not written).
public struct Stats: Sendable, Equatable {
    /// Bytes read from the source.
    public var readBytes: Int
    /// Successful reads that returned data (end-of-file is not counted).
    public var readOps: Int
    /// Bytes the destination accepted.
    public var writeBytes: Int
    /// Successful writes.
    public var writeOps: Int
    /// Time from the start of the transfer to its end (or to now, while it runs).
    public var duration: Duration

    /// Makes statistics from their parts; everything defaults to zero.
    public init(
        readBytes: Int = 0, readOps: Int = 0, writeBytes: Int = 0, writeOps: Int = 0,
        duration: Duration = .zero
    ) {
        self.readBytes = readBytes
        self.readOps = readOps
        self.writeBytes = writeBytes
        self.writeOps = writeOps
        self.duration = duration
    }

    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let (s, attos) = duration.components
        return Double(s) + Double(attos) / 1e18
    }

    /// Bytes read per second over ``duration``; `nil` when the duration is zero.
    public var readBytesPerSecond: Double? { rate(readBytes) }
    /// Bytes written per second over ``duration``; `nil` when the duration is zero.
    public var writeBytesPerSecond: Double? { rate(writeBytes) }

    private func rate(_ count: Int) -> Double? {
        let s = seconds
        return s > 0 ? Double(count) / s : nil
    }
}

extension Stats: CustomStringConvertible {
    /// One line in bytes and operations per second (not per nanosecond, as the original printed):
    /// `"read 1.0 MiB in 16 ops (512.0 MiB/s, 8000 ops/s); wrote 1.0 MiB in 16 ops (…); 0.002 s"`.
    public var description: String {
        func side(_ verb: String, _ bytes: Int, _ ops: Int) -> String {
            let head = "\(verb) \(ByteFormat.bytes(bytes)) in \(ops) op\(ops == 1 ? "" : "s")"
            let s = seconds
            guard s > 0 else { return head }
            let opsRate = Double(ops) / s
            return head + " (\(ByteFormat.rate(Double(bytes) / s)), \(ByteFormat.decimal(opsRate)) ops/s)"
        }
        return side("read", readBytes, readOps) + "; " + side("wrote", writeBytes, writeOps) + "; "
            + ByteFormat.duration(seconds)
    }
}

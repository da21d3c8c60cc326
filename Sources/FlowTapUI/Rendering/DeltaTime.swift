/// The Δt column of the panes and of the message list: the time from the chunk (or message)
/// before, in at most 8 characters, ASCII only.
public enum DeltaTime {
    /// The column's width, its trailing space included.
    public static let columnWidth = 9

    /// `+0.042ms` and `+4.20ms` below 10 ms, `+12.3ms` / `+999.9ms` below 1 s, `+12.34s` below
    /// 100 s, `+59m59s` below an hour, `+99h59m` below 100 hours, else `+>99h`. Rounded down, so
    /// a value never reads as the next unit's.
    public static func text(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1000
        switch nanoseconds {
        case ..<1_000_000: return "+0." + padded(micros, 3) + "ms"
        case ..<10_000_000: return "+\(micros / 1000)." + padded(micros % 1000 / 10, 2) + "ms"
        case ..<1_000_000_000: return "+\(micros / 1000)." + "\(micros % 1000 / 100)ms"
        case ..<100_000_000_000:
            let centis = nanoseconds / 10_000_000
            return "+\(centis / 100)." + padded(centis % 100, 2) + "s"
        default:
            let seconds = nanoseconds / 1_000_000_000
            if seconds < 3600 { return "+\(seconds / 60)m" + padded(seconds % 60, 2) + "s" }
            let minutes = seconds / 60
            if minutes < 100 * 60 { return "+\(minutes / 60)h" + padded(minutes % 60, 2) + "m" }
            return "+>99h"
        }
    }

    /// `value`'s last `digits` decimal digits, zero-padded.
    private static func padded(_ value: UInt64, _ digits: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

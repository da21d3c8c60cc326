/// Formats byte counts and rates for people: binary units, one decimal.
///
/// `bytes(0)` is `"0 B"`, `bytes(1536)` is `"1.5 KiB"`, `rate(2_097_152)` is `"2.0 MiB/s"`.
public enum ByteFormat {
    private static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

    /// A byte count: exact below 1 KiB (`"918 B"`), else one decimal in the largest unit that
    /// keeps the number at or above 1 (`"14.2 KiB"`).
    public static func bytes(_ count: Int) -> String {
        scaled(Double(count))
    }

    /// A rate in bytes per second: `"112.5 MiB/s"`.
    public static func rate(_ bytesPerSecond: Double) -> String {
        scaled(bytesPerSecond) + "/s"
    }

    /// A plain number with a fixed count of decimals (no locale): `decimal(3.14159, digits: 2)`
    /// is `"3.14"`. Non-finite values print as `"-"`.
    public static func decimal(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = Int(rounded - Double(whole) * scale)
        let sign = value < 0 && rounded > 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        var fractionText = String(fraction)
        while fractionText.count < digits { fractionText = "0" + fractionText }
        return "\(sign)\(whole).\(fractionText)"
    }

    /// A duration in seconds, in the unit that reads best: `"0 s"`, `"23 µs"`, `"12.5 ms"`,
    /// `"1.250 s"`.
    public static func duration(_ seconds: Double) -> String {
        if seconds == 0 { return "0 s" }
        if seconds < 0.001 { return "\(Int((seconds * 1e6).rounded())) µs" }
        if seconds < 1 { return decimal(seconds * 1000) + " ms" }
        return decimal(seconds, digits: 3) + " s"
    }

    private static func scaled(_ value: Double) -> String {
        var v = value
        var unit = 0
        while abs(v) >= 1024 && unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value.rounded())) B" }
        return "\(decimal(v)) \(units[unit])"
    }
}

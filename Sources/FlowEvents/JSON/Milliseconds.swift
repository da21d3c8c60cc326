/// A duration in milliseconds with microsecond precision, spelled in JSON with exactly three
/// decimals (`0.412`, `40.000`): the `"latency_ms"` of a `message` event.
///
/// It keeps nanoseconds; the JSON text rounds down to the microsecond. Other encoders see a
/// `Double`; decoding reads any JSON number from 0 up to `UInt64.max` nanoseconds (a negative,
/// non-finite or larger one is an error).
public struct Milliseconds: Sendable, Hashable, Codable, JSONNumber {
    /// The value in nanoseconds.
    public var nanoseconds: UInt64

    /// Milliseconds from nanoseconds.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// `"40.125"`.
    public var jsonText: String {
        let micros = (nanoseconds / 1000) % 1000
        let fraction = String(micros)
        return "\(nanoseconds / 1_000_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// The value as a `Double` (what other encoders write).
    public var double: Double { Double(nanoseconds) / 1e6 }

    /// Encodes a `Double`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(double)
    }

    /// Decodes a number of milliseconds (to the nanosecond a `Double` holds).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Double.self)
        let nanoseconds = value * 1e6
        guard value.isFinite, value >= 0, nanoseconds < 0x1p64 else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "milliseconds must be a number from 0, not \(value)")
        }
        self.nanoseconds = UInt64(nanoseconds.rounded())
    }
}

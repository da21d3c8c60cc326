#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A time in seconds with microsecond precision, spelled in JSON with exactly six decimals
/// (`1795617012.234301`, `0.120000`): the `"t"` of every event and the `"duration_s"` of `close`.
///
/// It keeps nanoseconds, so converting from and to nanoseconds loses nothing; the JSON text
/// rounds down to the microsecond. Other encoders see a `Double`; decoding reads any JSON number
/// (a negative or non-finite one is an error).
public struct Seconds: Sendable, Hashable, Codable, JSONNumber {
    /// The value in nanoseconds.
    public var nanoseconds: UInt64

    /// Seconds from nanoseconds.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Seconds from a duration (negative durations count as zero, huge ones saturate).
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else {
            self.nanoseconds = 0
            return
        }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflow2) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        self.nanoseconds = overflow || overflow2 ? .max : sum
    }

    /// `"1795617012.234301"`.
    public var jsonText: String {
        let micros = (nanoseconds / 1000) % 1_000_000
        var fraction = String(micros)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        return "\(nanoseconds / 1_000_000_000).\(fraction)"
    }

    /// The value as a `Double` (what other encoders write).
    public var double: Double { Double(nanoseconds) / 1e9 }

    /// Encodes a `Double`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(double)
    }

    /// Decodes a number of seconds from 0 to 18,446,744,073.709551615 (`UInt64.max`
    /// nanoseconds, about the year 2554: every value ``jsonText`` can write), exactly as written
    /// down to the nanosecond (further digits are rounded), through `Decimal`'s digits so that
    /// `1795617012.234301` comes back as `1795617012234301000` nanoseconds, not a `Double`'s
    /// neighbour.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Decimal.self)
        guard value.isFinite, let nanoseconds = Self.nanoseconds(decimalText: value.description) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "seconds must be a number from 0 to 18446744073.709551615, not \(value)")
        }
        self.nanoseconds = nanoseconds
    }

    /// The nanoseconds in a non-negative decimal written out in digits (`Decimal`'s description:
    /// `1795617012.234301`, never an exponent), the tenth decimal and beyond rounded half up;
    /// `nil` when it is negative, not such a number, or more than `UInt64.max` nanoseconds.
    static func nanoseconds(decimalText text: String) -> UInt64? {
        let utf8 = text.utf8
        let point = utf8.firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex
        let whole = utf8[..<point]
        let fraction = point == utf8.endIndex ? utf8[point...] : utf8[utf8.index(after: point)...]
        guard !whole.isEmpty else { return nil }
        var result: UInt64 = 0
        // The whole seconds, then nine decimals: each digit times ten, checked.
        func append(_ byte: UInt8) -> Bool {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            let (times, overflow) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            result = sum
            return !overflow && !overflow2
        }
        for byte in whole {
            guard append(byte) else { return nil }
        }
        var decimals = fraction.makeIterator()
        for _ in 0..<9 {
            guard append(decimals.next() ?? UInt8(ascii: "0")) else { return nil }
        }
        // What follows the nanoseconds rounds them: up from a tenth decimal of 5.
        guard let tenth = decimals.next() else { return result }
        guard tenth >= UInt8(ascii: "0"), tenth <= UInt8(ascii: "9") else { return nil }
        while let byte = decimals.next() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        }
        guard tenth >= UInt8(ascii: "5") else { return result }
        let (rounded, overflow) = result.addingReportingOverflow(1)
        return overflow ? nil : rounded
    }

    /// The value as a duration.
    public var duration: Duration { .nanoseconds(Int64(clamping: nanoseconds)) }
}

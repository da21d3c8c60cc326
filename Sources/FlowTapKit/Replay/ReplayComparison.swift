/// The bytes a replay received compared with the bytes the capture holds for that direction.
///
/// They match when they are equal byte for byte (chunk boundaries and timing are not compared).
/// Otherwise the first difference is the first offset where they differ, or where the shorter
/// one ends.
public struct ReplayComparison: Sendable, Equatable {
    /// The captured bytes.
    public let expected: [UInt8]
    /// The bytes received in the replay.
    public let got: [UInt8]
    /// The offset of the first byte that differs (or where the shorter stream ends); nil when
    /// they match.
    public let firstDifference: Int?

    /// Compares `got` with `expected`.
    public init(expected: [UInt8], got: [UInt8]) {
        self.expected = expected
        self.got = got
        let common = min(expected.count, got.count)
        var i = 0
        while i < common && expected[i] == got[i] { i += 1 }
        firstDifference = i == common && expected.count == got.count ? nil : i
    }

    /// Whether the received bytes equal the captured ones.
    public var matches: Bool { firstDifference == nil }

    /// Bytes shown per line of ``hexDiff(context:)``.
    public static let width = 16

    /// The first byte of the window ``hexDiff(context:)`` shows: `context` bytes before the
    /// difference (fewer at the start of the stream).
    public func windowStart(context: Int = 8) -> Int { max(0, (firstDifference ?? 0) - context) }

    /// The first difference as a hex diff: a header line, then the captured bytes (`-`) and the
    /// received bytes (`+`) of the same window — `context` bytes before the difference, 16 bytes
    /// in all — as hexdump lines (offset, hex, ASCII with `.` for non-printables), and a line
    /// with `^^` under the first differing byte. A stream that ends inside the window shows
    /// `(end)`. Empty when the streams match.
    ///
    /// ```
    /// first difference at byte 0 (expected 19 bytes, got 11):
    /// - 00000000  2b 50 4f 4e 47 0d 0a 2b 4f 4b 0d 0a 24 31 0d 0a  |+PONG..+OK..$1..|
    /// + 00000000  2d 45 52 52 20 6e 6f 70 65 0d 0a (end)           |-ERR nope..|
    ///             ^^
    /// ```
    public func hexDiff(context: Int = 8) -> String {
        guard let offset = firstDifference else { return "" }
        let start = windowStart(context: context)
        var out =
            "first difference at byte \(offset) (expected \(expected.count) bytes, got \(got.count)):\n"
        out += line("-", expected, start) + "\n"
        out += line("+", got, start) + "\n"
        out += String(repeating: " ", count: 12 + 3 * (offset - start)) + "^^\n"
        return out
    }

    /// The window's bytes of `bytes`, as hex (no separators): `expected_hex` / `got_hex` in JSON.
    public func windowHex(_ bytes: [UInt8], context: Int = 8) -> String {
        let start = windowStart(context: context)
        guard start < bytes.count else { return "" }
        return bytes[start..<min(bytes.count, start + Self.width)].map(Self.hex).joined()
    }

    private func line(_ mark: String, _ bytes: [UInt8], _ start: Int) -> String {
        let end = min(bytes.count, start + Self.width)
        let slice = start < end ? Array(bytes[start..<end]) : []
        var hex = slice.map(Self.hex).joined(separator: " ")
        if end < start + Self.width { hex += (hex.isEmpty ? "" : " ") + "(end)" }
        hex += String(repeating: " ", count: max(0, Self.width * 3 - 1 - hex.count))
        var ascii = ""
        for byte in slice {
            ascii.unicodeScalars.append(byte >= 0x20 && byte < 0x7f ? Unicode.Scalar(byte) : ".")
        }
        return "\(mark) \(Self.offset(start))  \(hex)  |\(ascii)|"
    }

    private static func offset(_ n: Int) -> String {
        let text = String(n, radix: 16)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }

    private static func hex(_ byte: UInt8) -> String {
        byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }
}

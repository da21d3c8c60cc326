/// The shape of a length-prefixed record, the SPEC of `len:SPEC`.
///
/// Grammar: `FIELD[@OFFSET][+ADJ|-ADJ]`, e.g. `u32be`, `u16be@2+4`, `u32be@1-4`.
/// - FIELD, the length field's width and byte order: `u8`, `u16be`, `u16le`, `u32be`, `u32le`.
/// - `@OFFSET` (decimal, 0…65535, default 0): the field starts OFFSET bytes into the record
///   (bytes before it — a type byte, a version — belong to the record).
/// - `+ADJ` / `-ADJ` (decimal, 0…2147483647, default 0): added to the field's value to give the
///   number of bytes that follow the field. `len:u32be-4` reads a length that counts itself;
///   `len:u32be@1-4` is PostgreSQL's typed message (a type byte, then a length counting itself).
///
/// A record is OFFSET + width + (value + ADJ) bytes. A value + ADJ below 0 is a decode error.
public struct LengthPrefix: Sendable, Hashable, CustomStringConvertible {
    /// A length field's width and byte order.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        /// One byte.
        case u8
        /// Two bytes, big-endian (network order).
        case u16be
        /// Two bytes, little-endian.
        case u16le
        /// Four bytes, big-endian (network order).
        case u32be
        /// Four bytes, little-endian.
        case u32le

        /// The field's width in bytes.
        public var size: Int {
            switch self {
            case .u8: 1
            case .u16be, .u16le: 2
            case .u32be, .u32le: 4
            }
        }

        /// Whether the most significant byte comes first.
        var isBigEndian: Bool { self == .u16be || self == .u32be || self == .u8 }
    }

    /// The largest `@OFFSET`.
    public static let maxOffset = 65_535
    /// The largest `+ADJ` or `-ADJ`, in absolute value.
    public static let maxAdjustment = Int(Int32.max)

    /// The length field's width and byte order.
    public var field: Field
    /// Where the length field starts in the record, in bytes.
    public var fieldOffset: Int
    /// Added to the field's value to give the bytes that follow the field.
    public var adjustment: Int

    /// A prefix with `field` at `fieldOffset` and `adjustment`; both are clamped to their
    /// ranges (0…``maxOffset``, ±``maxAdjustment``).
    public init(field: Field, fieldOffset: Int = 0, adjustment: Int = 0) {
        self.field = field
        self.fieldOffset = min(max(fieldOffset, 0), Self.maxOffset)
        self.adjustment = min(max(adjustment, -Self.maxAdjustment), Self.maxAdjustment)
    }

    /// The prefix `spec` spells (the part after `len:`).
    /// - Throws: ``DecoderSpecError`` for an unknown field (listing the known ones), an `@`
    ///   or sign without a decimal number, a number out of range, or anything after the
    ///   adjustment.
    public init(parsing spec: String) throws(DecoderSpecError) {
        let text = Array(spec.lowercased().unicodeScalars)
        func fail(_ reason: String) -> DecoderSpecError {
            DecoderSpecError(text: "len:" + spec, reason: reason)
        }
        var i = 0
        while i < text.count, text[i] != "@", text[i] != "+", text[i] != "-" { i += 1 }
        let name = String(String.UnicodeScalarView(text[0..<i]))
        guard let field = Field(rawValue: name) else {
            let known = Field.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(
                name.isEmpty
                    ? "missing length field; expected one of \(known)"
                    : "unknown length field \"\(SummaryText.escape(name))\"; expected one of \(known)")
        }
        func number(_ what: String, max: Int) throws(DecoderSpecError) -> Int {
            let start = i
            var value = 0
            while i < text.count, ("0"..."9").contains(text[i]) {
                value = value * 10 + Int(text[i].value - 48)
                guard value <= max else { throw fail("\(what) over \(max)") }
                i += 1
            }
            guard i > start else { throw fail("\(what) needs a decimal number") }
            return value
        }
        var offset = 0
        if i < text.count, text[i] == "@" {
            i += 1
            offset = try number("@OFFSET", max: Self.maxOffset)
        }
        var adjustment = 0
        if i < text.count, text[i] == "+" || text[i] == "-" {
            let negative = text[i] == "-"
            i += 1
            let value = try number("the adjustment", max: Self.maxAdjustment)
            adjustment = negative ? -value : value
        }
        guard i == text.count else {
            let rest = String(String.UnicodeScalarView(text[i...]))
            throw fail(
                "unexpected \"\(SummaryText.escape(rest))\"; expected FIELD[@OFFSET][+ADJ|-ADJ], e.g. u16be@2+4"
            )
        }
        self.init(field: field, fieldOffset: offset, adjustment: adjustment)
    }

    /// The bytes up to the end of the length field.
    public var headerSize: Int { fieldOffset + field.size }

    /// The spec spelled back: `u16be@2+4` (without `@0` or `+0`).
    public var description: String {
        var text = field.rawValue
        if fieldOffset != 0 { text += "@\(fieldOffset)" }
        if adjustment > 0 { text += "+\(adjustment)" }
        if adjustment < 0 { text += "-\(-adjustment)" }
        return text
    }
}

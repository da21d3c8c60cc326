import FlowCore

/// The escaping and the bound of every summary and decode-error reason a framer writes.
///
/// Peer bytes are written as printable ASCII (0x20…0x7e) as they are, `\t`, `\r`, `\n` by
/// name and any other byte as `\xNN` (two lowercase hex digits) — byte by byte, so invalid
/// UTF-8 is shown, never replaced. The output is pure printable ASCII (plus the closing `…`),
/// which every terminal shows as glyphs; it is a fixed point of FlowCore's terminal escaping,
/// so a caller may escape a summary again without changing it.
public enum SummaryText {
    /// The most characters a summary has, the closing `…` included.
    public static let limit = 200

    /// `bytes` escaped (see the type), with no bound.
    public static func escape<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var builder = SummaryBuilder(limit: Int.max)
        builder.append(bytes: bytes)
        return builder.text
    }

    /// The UTF-8 bytes of `text` escaped (see the type), with no bound.
    public static func escape(_ text: String) -> String { escape(text.utf8) }

    /// Appends the escape of one byte (itself, `\t`, `\r`, `\n` or `\xNN`) to UTF-8 `out`:
    /// FlowCore's ``ByteEscapes`` form, the backslash left as it is.
    static func append(_ byte: UInt8, to out: inout [UInt8]) {
        ByteEscapes.append(byte, to: &out, escapingBackslash: false)
    }

    /// How many characters the escape of `byte` takes.
    static func width(_ byte: UInt8) -> Int { ByteEscapes.width(of: byte, escapingBackslash: false) }
}

/// A summary being written: text the framer chose (ASCII) and peer bytes (escaped), cut at
/// ``SummaryText/limit`` characters with a closing `…`. An escape is never cut in half.
struct SummaryBuilder: Sendable {
    /// The text so far, UTF-8.
    private var utf8: [UInt8] = []
    /// The characters (scalars) written so far.
    private(set) var count = 0
    /// Whether something was left out (the text then ends in `…`).
    private(set) var isFull = false
    private let limit: Int

    /// A builder that cuts at `limit` characters (the `…` included).
    init(limit: Int = SummaryText.limit) { self.limit = limit }

    /// The text so far.
    var text: String { String(decoding: utf8, as: UTF8.self) }

    /// Appends `literal`, text the framer wrote (never peer bytes), whole or not at all: one that
    /// does not fit closes the summary.
    mutating func append(_ literal: String) {
        guard !isFull else { return }
        let width = literal.unicodeScalars.count
        if count + width <= limit - 1 {
            utf8 += literal.utf8
            count += width
        } else {
            close()
        }
    }

    /// Appends peer bytes, escaped.
    mutating func append<Bytes: Sequence<UInt8>>(bytes: Bytes) {
        for byte in bytes {
            guard !isFull else { return }
            let width = SummaryText.width(byte)
            guard count + width <= limit - 1 else {
                close()
                return
            }
            SummaryText.append(byte, to: &utf8)
            count += width
        }
    }

    /// Empties the builder for the next summary, keeping its storage (a framer writes one
    /// summary a message).
    mutating func reset() {
        utf8.removeAll(keepingCapacity: utf8.capacity <= 1024)
        count = 0
        isFull = false
    }

    /// Marks that more was left out: ends the text with `…` (once).
    mutating func close() {
        guard !isFull else { return }
        isFull = true
        utf8 += "…".utf8
        count += 1
    }
}

/// The `len:SPEC` decoder: each record of ``LengthPrefix`` shape is a message. Both directions
/// alike, no pairing.
///
/// - Summary: `N B: PREVIEW`, the record's size and its first 32 bytes escaped.
/// - Decode error: a length whose value plus the adjustment is below 0.
/// - ``MessageProgress/remaining`` is known once the length field is complete.
/// - At EOF, an unfinished record is reported truncated.
struct LengthFramer: FramerEngine {
    private struct Side: Sendable {
        /// Bytes of the header (up to the end of the length field) seen so far.
        var headerSeen = 0
        var value = 0
        /// The record's bytes still to come after the header, once known.
        var remaining: Int?
        var preview: [UInt8] = []
        var total = 0
    }

    private static let previewSize = 32
    private let prefix: LengthPrefix
    private var sides = PerSide(Side())

    init(_ prefix: LengthPrefix) { self.prefix = prefix }

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        var state = sides[side]
        defer { sides[side] = state }
        while i < bytes.count {
            if let remaining = state.remaining {
                (i, state.remaining) = CountedBody.take(
                    bytes, from: i, remaining: remaining, capture: &state.preview, limit: Self.previewSize)
            } else {
                let byte = Int(bytes[i])
                if state.preview.count < Self.previewSize { state.preview.append(bytes[i]) }
                let fieldIndex = state.headerSeen - prefix.fieldOffset
                if fieldIndex >= 0 {
                    if prefix.field.isBigEndian {
                        state.value = state.value << 8 | byte
                    } else {
                        state.value |= byte << (8 * fieldIndex)
                    }
                }
                state.headerSeen += 1
                i += 1
                if state.headerSeen == prefix.headerSize {
                    let body = state.value + prefix.adjustment
                    guard body >= 0 else {
                        ledger.fail(
                            side, at: base + i - 1,
                            "length \(state.value) with adjustment \(prefix.adjustment) is negative")
                        return
                    }
                    state.total = prefix.headerSize + body
                    state.remaining = body
                }
            }
            if state.remaining == 0 {
                ledger.emit(side, end: base + i, summary: Self.summary(state.total, state.preview))
                state = Side()
            }
        }
    }

    func remaining(_ side: FrameSide) -> Int? { sides[side].remaining }

    func partialSummary(_ side: FrameSide) -> String {
        let state = sides[side]
        return Self.summary(state.remaining == nil ? nil : state.total, state.preview)
    }

    private static func summary(_ total: Int?, _ preview: [UInt8]) -> String {
        var builder = SummaryBuilder()
        builder.append(total.map { "\($0) B: " } ?? "? B: ")
        builder.append(bytes: preview)
        if let total, total > preview.count { builder.close() }
        return builder.text
    }
}

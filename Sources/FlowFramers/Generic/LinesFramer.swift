/// The `lines` decoder: each line is a message, up to and including its `\n` (so a `\r\n` line
/// ends there too). Both directions alike, no pairing.
///
/// - Summary: the line without its ending, escaped (`(empty line)` for an empty one).
/// - A line has no length limit: the framer keeps only its summary's first bytes.
/// - At EOF, a last line without `\n` is a whole message (not truncated).
/// - Never a decode error: every byte stream is lines.
struct LinesFramer: FramerEngine {
    private struct Side: Sendable {
        var summary = SummaryBuilder()
        /// A `\r` seen last, not yet known to be part of a `\r\n`.
        var pendingCR = false

        mutating func append(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
            guard !range.isEmpty, !summary.isFull else { return }
            if pendingCR { summary.append(bytes: [0x0d]) }
            pendingCR = bytes[range.upperBound - 1] == 0x0d
            summary.append(bytes: bytes[range.lowerBound..<(range.upperBound - (pendingCR ? 1 : 0))])
        }

        mutating func take() -> String {
            defer { self = Side() }
            return summary.count == 0 ? "(empty line)" : summary.text
        }

        var partial: String {
            var copy = summary
            if pendingCR { copy.append(bytes: [0x0d]) }
            return copy.text
        }
    }

    private var sides = PerSide(Side())

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] != 0x0a { j += 1 }
            sides[side].append(bytes, i..<j)
            guard j < bytes.count else { return }
            ledger.emit(side, end: base + j + 1, summary: sides[side].take())
            i = j + 1
        }
    }

    mutating func finish(_ side: FrameSide, _ ledger: inout Ledger) {
        guard ledger[side].fed > ledger[side].lastEnd else { return }
        ledger.emit(side, end: ledger[side].fed, summary: partialSummary(side))
        sides[side] = Side()
    }

    func partialSummary(_ side: FrameSide) -> String { sides[side].partial }
}

import FlowEvents
import FlowTapKit
import NIOCore

/// The bytes of one message, taken from its direction's history by offset, as a session
/// snapshot that holds only them: drawn with ``PaneContent`` like any pane, with the history's
/// "not kept" note where bytes of the message were cut.
enum MessageBytes {
    /// `session` reduced to the bytes of `record`: its direction's history clipped to the
    /// message's range (chunks not sent, i.e. replaced or dropped, left out), the bytes not kept
    /// named by the direction's ``FlowTapKit/DirectionSnapshot/cut``; the other direction empty.
    /// Binary search into the history, then linear in the message's chunks.
    static func session(_ session: SessionSnapshot, _ record: MessageRecord) -> SessionSnapshot {
        var out = session
        let direction = record.direction
        let history = session[direction].history
        let range = record.range
        // The first chunk that starts at or after the message's start, then back over any that
        // reach into it.
        var low = 0
        var high = history.count
        while low < high {
            let mid = (low + high) / 2
            if history[mid].offset < range.lowerBound { low = mid + 1 } else { high = mid }
        }
        while low > 0 && history[low - 1].offset + history[low - 1].bytes.readableBytes > range.lowerBound {
            low -= 1
        }
        var kept: [HistoryChunk] = []
        var covered = range.lowerBound
        var missing: Range<Int>?
        func miss(_ r: Range<Int>) {
            guard !r.isEmpty else { return }
            missing = (missing?.lowerBound ?? r.lowerBound)..<r.upperBound
        }
        var index = low
        while index < history.count && history[index].offset < range.upperBound {
            let chunk = history[index]
            index += 1
            guard chunk.kind.sent else { continue }
            let start = max(chunk.offset, range.lowerBound)
            let end = min(chunk.offset + chunk.bytes.readableBytes, range.upperBound)
            guard start < end, end > covered else { continue }
            let from = max(start, covered)
            miss(covered..<from)
            var clipped = chunk
            clipped.offset = from
            clipped.bytes =
                chunk.bytes.getSlice(
                    at: chunk.bytes.readerIndex + (from - chunk.offset), length: end - from) ?? ByteBuffer()
            kept.append(clipped)
            covered = end
        }
        miss(covered..<range.upperBound)
        for d in Direction.allCases {
            out[d].history = []
            out[d].held = nil
            out[d].cut = nil
        }
        out[direction].history = kept
        out[direction].cut = missing
        return out
    }

    /// `session` reduced to the chunk held in `direction` (drawn `(held)`).
    static func held(_ session: SessionSnapshot, _ direction: Direction) -> SessionSnapshot {
        var out = session
        for d in Direction.allCases {
            out[d].history = []
            out[d].cut = nil
            if d != direction { out[d].held = nil }
        }
        return out
    }
}

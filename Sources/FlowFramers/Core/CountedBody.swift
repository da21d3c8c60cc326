/// A body of known length read across pieces: counted, never copied, except its first bytes
/// when a summary needs them.
enum CountedBody {
    /// Takes up to `remaining` bytes of `piece` from `start`; returns the index after them and
    /// the bytes still to come.
    static func take(_ piece: UnsafeRawBufferPointer, from start: Int, remaining: Int) -> (
        next: Int, left: Int
    ) {
        let take = min(remaining, piece.count - start)
        return (start + take, remaining - take)
    }

    /// ``take(_:from:remaining:)``, appending the bytes taken to `capture` while it holds fewer
    /// than `limit`.
    static func take(
        _ piece: UnsafeRawBufferPointer, from start: Int, remaining: Int, capture: inout [UInt8], limit: Int
    ) -> (next: Int, left: Int) {
        let (next, left) = take(piece, from: start, remaining: remaining)
        let room = min(limit - capture.count, next - start)
        if room > 0 { capture.append(contentsOf: piece[start..<(start + room)]) }
        return (next, left)
    }
}

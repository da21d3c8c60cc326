import FlowEvents
import FlowTapKit
import NIOCore

/// The search syntax and the search itself.
///
/// Syntax (shown in the help): `/text` looks for the UTF-8 bytes of `text`, where `\r`, `\n`,
/// `\t`, `\\` and `\xNN` stand for those bytes (the text view's own escapes); `/x 0d0a` or
/// `/x 0d 0a` looks for hex bytes (spaces ignored). Matches are case-sensitive.
public enum SearchPattern {
    /// The bytes a query looks for, or a message saying what is wrong with it.
    public static func parse(_ query: String) -> Result<[UInt8], SearchSyntaxError> {
        if query == "x" || query.hasPrefix("x ") {
            let digits = query.dropFirst().filter { $0 != " " }
            guard !digits.isEmpty else { return .failure(.init("hex search: no bytes after x")) }
            guard digits.allSatisfy(\.isHexDigit) else {
                return .failure(.init("hex search: only hex digits and spaces after x"))
            }
            guard digits.count % 2 == 0 else {
                return .failure(.init("hex search: odd number of hex digits"))
            }
            var bytes: [UInt8] = []
            var index = digits.startIndex
            while index < digits.endIndex {
                let next = digits.index(index, offsetBy: 2)
                bytes.append(UInt8(digits[index..<next], radix: 16)!)
                index = next
            }
            return .success(bytes)
        }
        var bytes: [UInt8] = []
        var scalars = query.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else {
                bytes += Array(String(scalar).utf8)
                continue
            }
            switch scalars.next() {
            case "r": bytes.append(0x0d)
            case "n": bytes.append(0x0a)
            case "t": bytes.append(0x09)
            case "\\": bytes.append(0x5c)
            case "x":
                let hex = [scalars.next(), scalars.next()].compactMap { $0 }.map(String.init).joined()
                guard hex.count == 2, let byte = UInt8(hex, radix: 16) else {
                    return .failure(.init("search: \\x needs two hex digits"))
                }
                bytes.append(byte)
            default:
                return .failure(.init("search: unknown escape (use \\r \\n \\t \\\\ \\xNN)"))
            }
        }
        guard !bytes.isEmpty else { return .failure(.init("search: empty query")) }
        return .success(bytes)
    }

    /// A run of bytes to search: `bytes` are the direction's bytes from `offset` on; `unsent`
    /// for a chunk replaced or dropped (it only borrows the offset of what was sent after it).
    struct Segment {
        var direction: Direction
        var offset: Int
        var bytes: [UInt8]
        var unsent = false

        /// True when `match` lies in this segment.
        func contains(_ match: SearchMatch) -> Bool {
            direction == match.direction && unsent == match.unsent && offset <= match.offset
                && match.offset < offset + max(1, bytes.count)
        }
    }

    /// What a pane shows, as runs of bytes to search in its order: for a direction pane, the
    /// bytes sent or held (its kept history and held chunk joined, so a match may span chunks),
    /// then each chunk replaced or dropped; for the conversation, one run per chunk in time order.
    static func segments(of session: SessionSnapshot, pane: Pane) -> [Segment] {
        if let direction = pane.direction {
            let state = session[direction]
            let chunks = state.history + (state.heldChunk.map { [$0] } ?? [])
            let sent = chunks.filter(\.kind.searchable)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(sent.reduce(0) { $0 + $1.bytes.readableBytes })
            for chunk in sent { bytes += chunk.bytes.readableBytesView }
            return [Segment(direction: direction, offset: sent.first?.offset ?? 0, bytes: bytes)]
                + chunks.filter { !$0.kind.searchable }.map {
                    Segment(
                        direction: direction, offset: $0.offset, bytes: Array($0.bytes.readableBytesView),
                        unsent: true)
                }
        }
        return ConversationOrder.chunks(of: session).map {
            Segment(
                direction: $0.direction, offset: $0.chunk.offset,
                bytes: Array($0.chunk.bytes.readableBytesView), unsent: !$0.chunk.kind.searchable)
        }
    }

    /// Where a search may look, in its order: a session's pane and its runs of bytes.
    struct Place {
        var session: Int
        var pane: Pane
        var segment: Segment
    }

    /// Every place to search from `pane` of session `id` on: that pane, then the session's other
    /// direction, then the other sessions (the newer ones first, then from the oldest), each
    /// client → server then server → client (or its conversation, when that is the pane).
    static func places(in snapshot: InspectorSnapshot, session id: Int, pane: Pane) -> [Place] {
        let sessions = snapshot.sessions
        guard let start = sessions.firstIndex(where: { $0.id == id }) else { return [] }
        var places = segments(of: sessions[start], pane: pane).map {
            Place(session: id, pane: pane, segment: $0)
        }
        if let direction = pane.direction {
            let other: Pane = direction == .c2s ? .s2c : .c2s
            places += segments(of: sessions[start], pane: other).map {
                Place(session: id, pane: other, segment: $0)
            }
        }
        let panes: [Pane] = pane == .conversation ? [.conversation] : [.c2s, .s2c]
        for step in 1..<max(1, sessions.count) {
            let session = sessions[(start + step) % sessions.count]
            for pane in panes {
                places += segments(of: session, pane: pane).map {
                    Place(session: session.id, pane: pane, segment: $0)
                }
            }
        }
        return places
    }

    /// The match of `pattern` after `current` (or from the start) in `places`, forward or
    /// `backward`, wrapping around once; `wrapped` tells whether it went past the end.
    static func next(
        _ pattern: [UInt8], after current: SearchMatch?, in places: [Place], backward: Bool = false
    ) -> (place: Place, match: SearchMatch, wrapped: Bool)? {
        guard !pattern.isEmpty, !places.isEmpty else { return nil }
        var start = 0
        var from = 0
        if let current, let index = places.firstIndex(where: { $0.segment.contains(current) }) {
            start = index
            from = current.offset - places[index].segment.offset
        } else if backward {
            start = places.count - 1
            from = places[start].segment.bytes.count
        } else {
            from = -1
        }
        let count = places.count
        for step in 0...count {
            let index = backward ? (start - step % count + count) % count : (start + step) % count
            let segment = places[index].segment
            let found: Int?
            if backward {
                let before = step == 0 ? from : segment.bytes.count
                let after = step == count ? from - 1 : -1
                found = findLast(pattern, in: segment.bytes, before: before, after: after)
            } else {
                let begin = step == 0 ? from + 1 : 0
                let end = step == count ? min(from + 1, segment.bytes.count) : segment.bytes.count
                found = find(pattern, in: segment.bytes, from: max(0, begin), before: end)
            }
            if let found {
                let match = SearchMatch(
                    direction: segment.direction, offset: segment.offset + found, length: pattern.count,
                    unsent: segment.unsent)
                let wrapped = step > 0 && (backward ? index >= start : index <= start)
                return (places[index], match, wrapped)
            }
        }
        return nil
    }

    /// The last index < `before` and > `after` where `pattern` starts.
    private static func findLast(_ pattern: [UInt8], in bytes: [UInt8], before: Int, after: Int) -> Int? {
        var i = min(before, bytes.count - pattern.count + 1) - 1
        while i > after && i >= 0 {
            if bytes[i] == pattern[0] {
                var j = 1
                while j < pattern.count && bytes[i + j] == pattern[j] { j += 1 }
                if j == pattern.count { return i }
            }
            i -= 1
        }
        return nil
    }

    /// The first index ≥ `from` where `pattern` starts, with the start before `before`.
    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from: Int, before: Int) -> Int? {
        let last = min(before, bytes.count - pattern.count + 1)
        guard from < last else { return nil }
        let first = pattern[0]
        var i = from
        while i < last {
            if bytes[i] == first {
                var j = 1
                while j < pattern.count && bytes[i + j] == pattern[j] { j += 1 }
                if j == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }
}

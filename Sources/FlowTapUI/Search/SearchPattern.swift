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

    /// A run of bytes to search: `bytes` are the direction's bytes from `offset` on.
    struct Segment {
        var direction: Direction
        var offset: Int
        var bytes: [UInt8]
    }

    /// What a pane shows of the bytes sent or held, as runs of bytes to search in its order:
    /// one run per direction pane (its kept history and held chunk joined), one per chunk in time
    /// order for the conversation. Chunks replaced or dropped are not searched: their offsets are
    /// not the direction's.
    static func segments(of session: SessionSnapshot, pane: Pane) -> [Segment] {
        if let direction = pane.direction {
            let state = session[direction]
            let sent = state.history.filter(\.kind.searchable) + (state.heldChunk.map { [$0] } ?? [])
            var bytes: [UInt8] = []
            bytes.reserveCapacity(sent.reduce(0) { $0 + $1.bytes.readableBytes })
            for chunk in sent { bytes += chunk.bytes.readableBytesView }
            return [Segment(direction: direction, offset: sent.first?.offset ?? 0, bytes: bytes)]
        }
        return ConversationOrder.chunks(of: session).filter(\.chunk.kind.searchable).map {
            Segment(
                direction: $0.direction, offset: $0.chunk.offset,
                bytes: Array($0.chunk.bytes.readableBytesView))
        }
    }

    /// The first match of `pattern` after `current` (or from the start), in the pane's order,
    /// wrapping around once; `wrapped` tells whether it went past the end.
    static func next(
        _ pattern: [UInt8], after current: SearchMatch?, in segments: [Segment]
    ) -> (match: SearchMatch, wrapped: Bool)? {
        guard !pattern.isEmpty, !segments.isEmpty else { return nil }
        var start = 0
        var from = 0
        if let current,
            let index = segments.firstIndex(where: {
                $0.direction == current.direction && $0.offset <= current.offset
                    && current.offset < $0.offset + max(1, $0.bytes.count)
            })
        {
            start = index
            from = current.offset - segments[index].offset + 1
        }
        for step in 0...segments.count {
            let index = (start + step) % segments.count
            let segment = segments[index]
            let begin = step == 0 ? from : 0
            let end = step == segments.count ? min(from, segment.bytes.count) : segment.bytes.count
            if let found = find(pattern, in: segment.bytes, from: begin, before: end) {
                let match = SearchMatch(
                    direction: segment.direction, offset: segment.offset + found, length: pattern.count)
                return (match, step > 0 && index <= start)
            }
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

/// One direction of a RESP conversation: the incremental parser of RESP2/RESP3 values (and, on
/// the client side, inline commands), which knows where each top-level value ends and writes
/// its summary.
struct RESPSideParser: Sendable {
    /// A top-level value that ended.
    struct Value: Sendable {
        /// The end offset in the stream.
        var end: Int
        var summary: String
        /// The type byte of the value (after any attribute): `>` for a push, `*` for an array, 0
        /// for an inline command.
        var type: UInt8
        /// The first scalar of the value, lowercased, at most 16 bytes (a command's name, a
        /// pub/sub array's kind).
        var head: [UInt8]
        /// For an aggregate, its number of elements.
        var count: Int
    }

    /// What ``consume(_:from:at:)`` found.
    enum Step {
        /// The piece is used up.
        case needMore
        /// A value ended; `next` is the index in the piece just past it.
        case value(Value, next: Int)
        /// The bytes are not RESP.
        case failure(offset: Int, reason: String)
    }

    private struct Open: Sendable {
        /// Elements still to come; nil for a streamed aggregate (ends at `.`).
        var remaining: Int?
        var isAttribute: Bool
    }

    private enum Stage: Sendable, Equatable {
        case header
        /// Inside a bulk string's bytes.
        case bulk(remaining: Int)
        /// The `\r\n` after a bulk string; `seen` bytes of it came.
        case bulkEnd(seen: Int)
        /// An inline command's line.
        case inline
    }

    static let lineLimit = 64 * 1024
    static let maxBulk = 1 << 31
    static let maxCount = 1 << 31
    static let maxDepth = 1024
    static let maxCapture = 64
    /// Whether `byte` starts a RESP2/RESP3 value (`+-:$*_,#!=(%~>|.;`). A switch, not a `Set`:
    /// it is asked for every line.
    private static func isTypeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
            UInt8(ascii: "_"), UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "!"), UInt8(ascii: "="),
            UInt8(ascii: "("), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"),
            UInt8(ascii: "."), UInt8(ascii: ";"):
            true
        default: false
        }
    }

    /// Whether `rest` (a header line after its type byte) is `?` (a streamed length).
    private static func isStreamed(_ rest: ArraySlice<UInt8>) -> Bool {
        rest.count == 1 && rest.first == UInt8(ascii: "?")
    }

    /// Whether `rest` (a header line after its type byte) is `-1` (RESP2's null).
    private static func isNull(_ rest: ArraySlice<UInt8>) -> Bool {
        rest.count == 2 && rest.first == UInt8(ascii: "-") && rest.last == UInt8(ascii: "1")
    }

    private let isClient: Bool
    private var stage = Stage.header
    private var line = LineBuffer(limit: lineLimit)
    private var stack: [Open] = []
    /// Inside a streamed string (`$?`): chunks (`;N`) until `;0`.
    private var inStreamedString = false
    private var summary = SummaryBuilder()
    private var head: [UInt8] = []
    private var headDone = false
    private var type: UInt8 = 0
    private var count = 0
    private var captured = 0
    private var valueStarted = false
    private var lineStart = 0

    init(isClient: Bool) { self.isClient = isClient }

    /// The exact bytes left in the value, when it is a top-level bulk string in its bytes.
    var remaining: Int? {
        guard stack.isEmpty, !inStreamedString else { return nil }
        switch stage {
        case .bulk(let remaining): return remaining + 2
        case .bulkEnd(let seen): return 2 - seen
        default: return nil
        }
    }

    /// The summary so far, for a value cut short.
    var partialSummary: String { summary.text }

    /// Parses `piece` from `start` (the piece's first byte is at stream offset `base`) up to the
    /// end of the next value.
    mutating func consume(_ piece: UnsafeRawBufferPointer, from start: Int, at base: Int) -> Step {
        var i = start
        while i < piece.count {
            switch stage {
            case .bulk(let remaining):
                let take = min(remaining, piece.count - i)
                let capture = min(take, Self.maxCapture - captured)
                if capture > 0 {
                    summary.append(bytes: piece[i..<(i + capture)])
                    captured += capture
                    if headDone == false, head.count < 16 {
                        head.append(
                            contentsOf: piece[i..<(i + min(capture, 16 - head.count))].map(ByteParsing.lower))
                    }
                }
                i += take
                if remaining - take == 0 {
                    stage = .bulkEnd(seen: 0)
                    if captured >= Self.maxCapture, bulkLength > captured { summary.append("…") }
                } else {
                    stage = .bulk(remaining: remaining - take)
                }
            case .bulkEnd(let seen):
                let expected: UInt8 = seen == 0 ? 0x0d : 0x0a
                guard piece[i] == expected else {
                    return .failure(offset: base + i, reason: "RESP bulk string not followed by \\r\\n")
                }
                i += 1
                if seen == 0 {
                    stage = .bulkEnd(seen: 1)
                } else {
                    stage = .header
                    headDone = true
                    if !inStreamedString, let value = elementEnded(end: base + i) {
                        return .value(value, next: i)
                    }
                }
            case .header, .inline:
                if !valueStarted {
                    // An empty line between client commands belongs to the next one.
                    valueStarted = true
                    if isClient, piece[i] != UInt8(ascii: "*") { stage = .inline }
                }
                if line.bytes.isEmpty {
                    lineStart = base + i
                    if stage == .header, !Self.isTypeByte(piece[i]) {
                        return .failure(
                            offset: lineStart,
                            reason: "not a RESP type byte: \(SummaryText.escape([piece[i]]))")
                    }
                }
                switch line.take(piece, from: i) {
                case .needMore:
                    return .needMore
                case .tooLong(let at):
                    return .failure(
                        offset: base + at, reason: "RESP line longer than \(Self.lineLimit) bytes")
                case .line(let next):
                    i = next
                    let result = stage == .inline ? inlineLine(end: base + i) : headerLine(end: base + i)
                    line.reset()
                    switch result {
                    case .failure(let reason): return .failure(offset: lineStart, reason: reason)
                    case .value(let value): return .value(value, next: i)
                    case .more: continue
                    }
                }
            }
        }
        return .needMore
    }

    private enum LineResult {
        case more
        case value(Value)
        case failure(String)
    }

    private var bulkLength = 0

    private mutating func inlineLine(end: Int) -> LineResult {
        let text = line.line
        let words = text.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
        guard let first = words.first else {
            // An empty line: Redis skips it; it counts in the next command.
            valueStarted = false
            stage = .header
            return .more
        }
        head = Array(first.prefix(16).map(ByteParsing.lower))
        for (n, word) in words.enumerated() {
            if n > 0 { summary.append(" ") }
            summary.append(bytes: word)
        }
        count = words.count
        stage = .header
        return .value(finish(end: end, type: 0))
    }

    private mutating func headerLine(end: Int) -> LineResult {
        let text = line.line
        guard let kind = text.first else {
            return .failure("empty RESP line where a type byte was expected")
        }
        let rest = text.dropFirst()
        if stack.isEmpty && !inStreamedString && kind != UInt8(ascii: "|") { type = kind }
        if inStreamedString {
            guard kind == UInt8(ascii: ";"), let size = ByteParsing.decimal(rest, max: Self.maxBulk) else {
                return .failure(
                    "RESP streamed string chunk expected (;LENGTH), got \(SummaryText.escape(text.prefix(20)))"
                )
            }
            if size == 0 {
                inStreamedString = false
                return elementEnded(end: end).map { .value($0) } ?? .more
            }
            bulkLength = size
            stage = .bulk(remaining: size)
            return .more
        }
        let isTop = stack.isEmpty
        switch kind {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: ","),
            UInt8(ascii: "#"), UInt8(ascii: "("):
            separate()
            if isTop {
                summary.append(bytes: [kind])
                summary.append(bytes: rest.prefix(Self.lineLimit))
            } else if kind == UInt8(ascii: "_") {
                summary.append("(nil)")
            } else {
                summary.append(bytes: rest.prefix(Self.lineLimit))
            }
            noteHead(rest)
            return elementEnded(end: end).map { .value($0) } ?? .more
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            separate()
            if Self.isStreamed(rest), kind == UInt8(ascii: "$") {
                if isTop { summary.append("$? ") }
                inStreamedString = true
                captured = 0
                return .more
            }
            if Self.isNull(rest) {
                summary.append(isTop ? "$-1" : "(nil)")
                noteHead([])
                return elementEnded(end: end).map { .value($0) } ?? .more
            }
            guard let size = ByteParsing.decimal(rest, max: Self.maxBulk) else {
                return .failure(
                    "RESP bulk length \(SummaryText.escape(rest.prefix(24))) not in 0…\(Self.maxBulk)")
            }
            if isTop { summary.append(String(UnicodeScalar(kind)) + "\(size) ") }
            bulkLength = size
            captured = 0
            stage = .bulk(remaining: size)
            return .more
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            let isAttribute = kind == UInt8(ascii: "|")
            if !(isTop && isClient && kind == UInt8(ascii: "*")) {
                separate()
                summary.append(bytes: [kind])
                summary.append(bytes: rest.prefix(24))
            }
            if Self.isNull(rest) {
                return elementEnded(end: end).map { .value($0) } ?? .more
            }
            guard stack.count < Self.maxDepth else {
                return .failure("RESP aggregates nested deeper than \(Self.maxDepth)")
            }
            if Self.isStreamed(rest), !isAttribute {
                stack.append(Open(remaining: nil, isAttribute: false))
                return .more
            }
            guard let size = ByteParsing.decimal(rest, max: Self.maxCount) else {
                return .failure(
                    "RESP aggregate length \(SummaryText.escape(rest.prefix(24))) not in 0…\(Self.maxCount)")
            }
            let pairs = kind == UInt8(ascii: "%") || isAttribute
            if isTop && !isAttribute { count = size }
            if size == 0 { return aggregateEnded(isAttribute: isAttribute, end: end) }
            stack.append(Open(remaining: pairs ? size * 2 : size, isAttribute: isAttribute))
            return .more
        case UInt8(ascii: "."):
            guard let top = stack.last, top.remaining == nil, rest.isEmpty else {
                return .failure("RESP end marker (.) outside a streamed aggregate")
            }
            stack.removeLast()
            return aggregateEnded(isAttribute: false, end: end)
        default:
            return .failure("not a RESP type byte: \(SummaryText.escape(text.prefix(1)))")
        }
    }

    /// A space between the summary's tokens.
    private mutating func separate() {
        if summary.count > 0 { summary.append(" ") }
    }

    private mutating func noteHead<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        guard !headDone else { return }
        head = Array(bytes.prefix(16).map(ByteParsing.lower))
        headDone = true
    }

    /// An aggregate of size 0, or whose last element ended, is itself an element.
    private mutating func aggregateEnded(isAttribute: Bool, end: Int) -> LineResult {
        if isAttribute {
            // An attribute is not an element: the value it is attached to follows.
            return .more
        }
        return elementEnded(end: end).map { .value($0) } ?? .more
    }

    /// An element ended: counts it in the aggregates it closes; returns the value when the
    /// top-level value is complete.
    private mutating func elementEnded(end: Int) -> Value? {
        while let top = stack.last {
            guard let remaining = top.remaining else { return nil }
            if remaining > 1 {
                stack[stack.count - 1].remaining = remaining - 1
                return nil
            }
            stack.removeLast()
            if top.isAttribute { return nil }
        }
        return finish(end: end, type: type)
    }

    private mutating func finish(end: Int, type: UInt8) -> Value {
        let value = Value(end: end, summary: summary.text, type: type, head: head, count: count)
        stage = .header
        stack.removeAll(keepingCapacity: true)
        inStreamedString = false
        summary.reset()
        head = []
        headDone = false
        self.type = 0
        count = 0
        captured = 0
        valueStarted = false
        return value
    }
}

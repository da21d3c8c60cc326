/// One line gathered across pieces: the bytes up to and including `\n`, at most `limit` of
/// them (the line ending included). The only place a framer copies peer bytes, and bounded.
struct LineBuffer: Sendable {
    /// What ``take(_:from:)`` found.
    enum Step: Equatable {
        /// The piece ended before the line did: every byte from `start` was taken.
        case needMore
        /// The line is complete; `next` is the index in the piece just past its `\n`.
        case line(next: Int)
        /// The line is longer than the limit; `at` is the index in the piece of the first byte
        /// over it.
        case tooLong(at: Int)
    }

    /// The bytes gathered so far (with the line ending once complete).
    private(set) var bytes: [UInt8] = []
    /// The most bytes a line may have, its ending included.
    let limit: Int

    /// An empty buffer for lines of at most `limit` bytes.
    init(limit: Int) { self.limit = limit }

    /// Takes the bytes of `piece` from `start` up to and including the next `\n`.
    mutating func take(_ piece: UnsafeRawBufferPointer, from start: Int) -> Step {
        let room = limit - bytes.count
        let end = piece.count - start > room ? start + room : piece.count
        var i = start
        while i < end {
            if piece[i] == 0x0a {
                bytes.append(contentsOf: piece[start...i])
                return .line(next: i + 1)
            }
            i += 1
        }
        bytes.append(contentsOf: piece[start..<end])
        return end < piece.count ? .tooLong(at: end) : .needMore
    }

    /// The line without its ending (`\n` or `\r\n`).
    var line: ArraySlice<UInt8> {
        var end = bytes.count
        if end > 0, bytes[end - 1] == 0x0a { end -= 1 }
        if end > 0, bytes[end - 1] == 0x0d { end -= 1 }
        return bytes[0..<end]
    }

    /// Forgets the line, keeping the storage.
    mutating func reset() { bytes.removeAll(keepingCapacity: bytes.capacity <= 4096) }
}

/// Small parsing helpers over peer bytes; every number is checked, none traps.
enum ByteParsing {
    /// The decimal number `digits` spells (ASCII digits only, at least one, an optional leading
    /// `-` when `allowNegative`), if it is at most `max` in absolute value.
    static func decimal<Bytes: Collection<UInt8>>(
        _ digits: Bytes, max: Int, allowNegative: Bool = false
    ) -> Int? {
        var iterator = digits.makeIterator()
        guard var byte = iterator.next() else { return nil }
        var negative = false
        if byte == UInt8(ascii: "-"), allowNegative {
            negative = true
            guard let next = iterator.next() else { return nil }
            byte = next
        }
        var value = 0
        while true {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - 0x30))
            guard !overflow1, !overflow2, sum <= max else { return nil }
            value = sum
            guard let next = iterator.next() else { break }
            byte = next
        }
        return negative ? -value : value
    }

    /// `bytes` with spaces and tabs removed at both ends.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return slice
    }

    /// Whether `bytes` equals the ASCII `text`, ignoring ASCII case.
    static func equalsIgnoringCase<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ text: String) -> Bool {
        guard bytes.count == text.utf8.count else { return false }
        return zip(bytes, text.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// An ASCII letter in lower case; any other byte as it is.
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte }

    /// A big-endian unsigned number of `count` (≤ 4) bytes of `bytes` from `start`, if there.
    static func bigEndian(_ bytes: ArraySlice<UInt8>, at start: Int, count: Int) -> Int? {
        guard start >= bytes.startIndex, count <= 4, bytes.endIndex - start >= count else { return nil }
        var value = 0
        for i in start..<(start + count) { value = value << 8 | Int(bytes[i]) }
        return value
    }
}

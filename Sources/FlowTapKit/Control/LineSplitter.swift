/// Cuts a byte stream into lines with bounded memory: the framing of headless control input.
///
/// ``feed(_:_:)`` takes the bytes as they are read and hands out each complete line (without
/// its `\n`, numbered from 1). A line longer than ``limit`` bytes is not kept: its bytes are
/// skipped up to the next `\n`, and it is handed out as ``Piece/tooLong(number:)`` once. At
/// most ``limit`` bytes are buffered, whatever the input. ``finish(_:)`` hands out a last line
/// that has no `\n`.
public struct LineSplitter: Sendable {
    /// What the splitter hands out.
    public enum Piece: Sendable, Equatable {
        /// A complete line, without its newline.
        case line([UInt8], number: Int)
        /// A line over the limit, skipped.
        case tooLong(number: Int)
    }

    /// The longest line kept, in bytes.
    public let limit: Int
    private var buffer: [UInt8] = []
    private var skipping = false
    private var number = 0

    /// A splitter keeping lines of at most `limit` bytes (at least 1).
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes `bytes`, handing each line they complete to `body`, in order.
    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ body: (Piece) -> Void) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                number += 1
                if skipping {
                    body(.tooLong(number: number))
                } else {
                    body(.line(buffer, number: number))
                }
                buffer.removeAll(keepingCapacity: buffer.count <= 64 * 1024)
                skipping = false
            } else if skipping {
                continue
            } else if buffer.count == limit {
                buffer.removeAll()
                skipping = true
            } else {
                buffer.append(byte)
            }
        }
    }

    /// The input ended: hands a last line without a newline (if any bytes wait) to `body`.
    public mutating func finish(_ body: (Piece) -> Void) {
        guard skipping || !buffer.isEmpty else { return }
        feed(CollectionOfOne(UInt8(ascii: "\n")), body)
    }
}

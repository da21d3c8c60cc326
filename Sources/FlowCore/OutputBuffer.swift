import NIOCore
import Synchronization

/// A fixed-size, shared byte buffer that an output function writes into: the Swift stand-in for
/// the mutable `bytes` and `Cstruct.t` that mirage-flow's `F` writes its output to.
///
/// Its size never changes. Writes fill it from the start, in order, and stop when it is full
/// (see ``FunctionFlow/output(_:)``). The bytes not yet written keep their initial value.
public final class OutputBuffer: Sendable, CustomStringConvertible {
    private struct State {
        var bytes: [UInt8]
        var written = 0
    }
    private let state: Mutex<State>

    /// A buffer holding the UTF-8 bytes of `initial`, e.g. `OutputBuffer("xxxxxxxxxx")` for ten
    /// bytes of room.
    public convenience init(_ initial: String) { self.init(bytes: Array(initial.utf8)) }

    /// A buffer of `count` zero bytes.
    public convenience init(count: Int) { self.init(bytes: [UInt8](repeating: 0, count: count)) }

    /// A buffer holding a copy of `buffer`'s readable bytes.
    public convenience init(_ buffer: ByteBuffer) { self.init(bytes: Array(buffer.readableBytesView)) }

    /// A buffer holding `bytes`.
    public init(bytes: [UInt8]) { state = Mutex(State(bytes: bytes)) }

    /// The buffer's size in bytes; it never changes.
    public var count: Int { state.withLock { $0.bytes.count } }

    /// How many bytes were written so far.
    public var written: Int { state.withLock { $0.written } }

    /// The whole buffer, written part and initial rest.
    public var bytes: [UInt8] { state.withLock { $0.bytes } }

    /// The whole buffer as a `ByteBuffer`.
    public var byteBuffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    /// The whole buffer decoded as UTF-8 (invalid sequences replaced).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The same as ``string``.
    public var description: String { string }

    /// Copies as many of `source`'s readable bytes as fit after what was written, and returns
    /// how many it copied: 0 when the buffer is full.
    public func append(_ source: ByteBuffer) -> Int {
        state.withLock { s in
            let n = min(s.bytes.count - s.written, source.readableBytes)
            guard n > 0 else { return 0 }
            source.withUnsafeReadableBytes { raw in
                for i in 0..<n { s.bytes[s.written + i] = raw[i] }
            }
            s.written += n
            return n
        }
    }
}

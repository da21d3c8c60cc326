import NIOCore
import Synchronization

/// A ``FrameConversation`` that both directions' tasks of a session share: every call takes a
/// lock, so the two directions' feeds are applied one at a time, in the order they happen.
///
/// The calls and their contracts are those of ``FrameConversation``.
public final class SharedFrameConversation: Sendable {
    private let state: Mutex<FrameConversation>

    /// A shared conversation decoded by `spec` (with `auto`, `portHint` guides the decision).
    public init(_ spec: DecoderSpec, portHint: Int? = nil) {
        state = Mutex(FrameConversation(spec, portHint: portHint))
    }

    /// ``FrameConversation/feed(_:_:)-(FrameSide,ByteBuffer)`` under the lock.
    public func feed(_ side: FrameSide, _ buffer: ByteBuffer) -> FrameFeed {
        state.withLock { $0.feed(side, buffer) }
    }

    /// ``FrameConversation/end(_:)`` under the lock.
    public func end(_ side: FrameSide) -> FrameFeed {
        state.withLock { $0.end(side) }
    }

    /// ``FrameConversation/progress(_:)`` under the lock.
    public func progress(_ side: FrameSide) -> MessageProgress {
        state.withLock { $0.progress(side) }
    }

    /// The decoder in use (``FrameConversation/spec``).
    public var spec: DecoderSpec {
        state.withLock { $0.spec }
    }
}

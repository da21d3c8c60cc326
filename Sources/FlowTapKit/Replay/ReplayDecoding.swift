import FlowEvents
import FlowFramers
import Synchronization

/// The live side of a replay's message comparison: decodes the replay's events as they are
/// reported (``EventDecoder``, in the order reported, which is the wire order: a chunk is
/// reported before it is written and after it is read), passes them on with their decoding
/// events, and keeps the compared direction's messages.
final class ReplayDecoding: Sendable {
    private struct State: Sendable {
        var decoder: EventDecoder
        var stream = ReplayMessageComparison.Stream()
    }

    private let state: Mutex<State>
    private let compared: Direction
    private let emit: @Sendable (SessionEvent) -> Void
    private let onMessage: @Sendable () -> Void

    /// Decodes with `spec` (a decided one), keeping the messages of `compared` (calling
    /// `onMessage` after each), and passes every event on to `emit`.
    init(
        _ spec: DecoderSpec, comparing compared: Direction, emit: @escaping @Sendable (SessionEvent) -> Void,
        onMessage: @escaping @Sendable () -> Void
    ) {
        state = Mutex(State(decoder: EventDecoder(spec)))
        self.compared = compared
        self.emit = emit
        self.onMessage = onMessage
    }

    /// Reports `event` and the decoding events it brings, in order (under a lock, so that the
    /// events of the sending and the receiving task are decoded in the order reported).
    func record(_ event: SessionEvent) {
        let messages = state.withLock { state in
            var messages = 0
            for out in state.decoder.decode(event) {
                state.stream.take(out, comparing: compared)
                if case .message(let d, _) = out.kind, d == compared { messages += 1 }
                emit(out)
            }
            return messages
        }
        for _ in 0..<messages { onMessage() }
    }

    /// The compared direction's messages so far, with `bytes` as its bytes.
    func stream(bytes: [UInt8]) -> ReplayMessageComparison.Stream {
        var stream = state.withLock { $0.stream }
        stream.bytes = bytes
        return stream
    }
}

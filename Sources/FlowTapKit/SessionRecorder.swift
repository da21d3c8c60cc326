import FlowCore
import NIOCore
import Synchronization

/// The per-session bookkeeping the two taps share: byte offsets of each direction, what was
/// already reported, and the way out to the observers.
final class SessionRecorder: Sendable {
    private struct PerDirection {
        var offset = 0
        var eofReported = false
        var inputEnded = false
        var failed = false
        var shutdownReported = false
    }
    private struct State {
        var directions: [PerDirection] = [PerDirection(), PerDirection()]
    }

    let id: Int
    private let state = Mutex(State())
    private let emit: @Sendable (InspectorEvent) -> Void

    init(id: Int, emit: @escaping @Sendable (InspectorEvent) -> Void) {
        self.id = id
        self.emit = emit
    }

    private static func index(_ direction: Direction) -> Int { direction == .c2s ? 0 : 1 }

    func report(_ kind: InspectorEvent.Kind) { emit(InspectorEvent(session: id, kind)) }

    func report(_ kind: InspectorEvent.Kind, failing direction: Direction) {
        state.withLock { $0.directions[Self.index(direction)].failed = true }
        report(kind)
    }

    func reportData(_ direction: Direction, _ buffer: ByteBuffer) {
        let offset = state.withLock { s in
            let i = Self.index(direction)
            defer { s.directions[i].offset += buffer.readableBytes }
            return s.directions[i].offset
        }
        report(.data(direction, offset: offset, bytes: buffer))
    }

    /// Reports `eof` the first time only, and returns `.eof` for the tap to hand on.
    func reportEOF(_ direction: Direction) -> ReadResult {
        let first = state.withLock { s in
            let i = Self.index(direction)
            defer { s.directions[i].eofReported = true }
            return !s.directions[i].eofReported && !s.directions[i].failed
        }
        if first { report(.eof(direction)) }
        return .eof
    }

    func reportShutdown(_ direction: Direction) {
        let report = state.withLock { s in
            let i = Self.index(direction)
            defer { s.directions[i].shutdownReported = true }
            return !s.directions[i].failed && !s.directions[i].shutdownReported
        }
        if report { self.report(.shutdown(direction)) }
    }

    func endInput(_ direction: Direction) {
        state.withLock { $0.directions[Self.index(direction)].inputEnded = true }
    }

    func inputEnded(_ direction: Direction) -> Bool {
        state.withLock { $0.directions[Self.index(direction)].inputEnded }
    }
}

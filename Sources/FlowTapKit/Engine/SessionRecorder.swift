import Crypto
import FlowCore
import FlowEvents
import NIOCore
import Synchronization

/// The per-session bookkeeping the two taps share: byte offsets of each direction, what was
/// already reported, the edit waiting for its chunk to be written, the lock that orders each
/// direction's writes, and the way out to the observers.
final class SessionRecorder: Sendable {
    private struct PerDirection {
        var offset = 0
        var eofReported = false
        var inputEnded = false
        var failed = false
        /// The destination's write side was shut (FIN sent), whether reported or not.
        var shutdownReported = false
        /// The original of the edited chunk the proxy writes next.
        var pendingEdit: ByteBuffer?
        /// The messages the chunk read last completes (``deposit(_:_:)``), reported after its
        /// `data` (or its `drop`).
        var messages: [DecodedMessage] = []
        /// What really moved: chunks read from the source (dropped and replaced ones included),
        /// chunks written to the destination (edits and injections included).
        var moved = Stats()
        /// A ``DepartureStamp`` under the destination's faults reports the chunks when they
        /// reach the socket (see ``departed(_:bytes:)``); until then they wait here.
        var stampedBelow = false
        var departures: [Departure] = []
        var departuresHead = 0
        /// Bytes that reached the destination's socket.
        var departed = 0
    }

    /// A chunk's events, waiting for its first byte to reach the socket.
    private struct Departure {
        var start: Int
        var events: [SessionEvent.Kind]
    }
    private struct State {
        var directions: [PerDirection] = [PerDirection(), PerDirection()]
        /// A connection failed and the session is being reset: what follows is its consequence.
        var aborted = false
        var onAbort: (@Sendable () async -> Void)?
    }

    let id: Int
    private let state = Mutex(State())
    private let emit: @Sendable (SessionEvent) -> Void
    /// Waits until the observers can take a chunk's events (their back-pressure).
    let room: @Sendable () async -> Void
    /// Whether ``room`` would return at once: checked first, so that a chunk costs no async call
    /// while the observers keep up (the usual case).
    let hasRoom: @Sendable () -> Bool
    private let sendLocks = [SendLock(), SendLock()]

    init(
        id: Int, room: @escaping @Sendable () async -> Void = {},
        hasRoom: @escaping @Sendable () -> Bool = { true },
        emit: @escaping @Sendable (SessionEvent) -> Void
    ) {
        self.id = id
        self.room = room
        self.hasRoom = hasRoom
        self.emit = emit
    }

    private static func index(_ direction: Direction) -> Int { direction == .c2s ? 0 : 1 }

    /// The lock ordering what is written to `direction`'s destination.
    func sendLock(_ direction: Direction) -> SendLock { sendLocks[Self.index(direction)] }

    func report(_ kind: SessionEvent.Kind) { emit(SessionEvent(conn: id, kind)) }

    /// Reports an error of `direction` (and marks it failed), unless the session was aborted:
    /// then the error is a consequence of the abort, not news.
    func report(_ kind: SessionEvent.Kind, failing direction: Direction) {
        let aborted = state.withLock { s in
            s.directions[Self.index(direction)].failed = true
            return s.aborted
        }
        if !aborted { report(kind) }
    }

    /// What ``abort()`` does to the endpoints (the session's reset of both sockets).
    func setAbortAction(_ action: @escaping @Sendable () async -> Void) {
        state.withLock { $0.onAbort = action }
    }

    /// A connection of the session failed (a read or write error): the other side is told the
    /// way a direct peer would be, by a reset, not by a FIN flowtap would invent. The first call
    /// resets both endpoints; from then on `eof`, `shutdown` and errors are not reported (they
    /// are the reset's doing). Later calls do nothing.
    func abort() async {
        let action = state.withLock { s -> (@Sendable () async -> Void)? in
            guard !s.aborted else { return nil }
            s.aborted = true
            for i in s.directions.indices { s.directions[i].failed = true }
            return s.onAbort ?? {}
        }
        await action?()
    }

    /// A connection failed where no tap would see it soon (its direction is held): reports
    /// `kind` (the error of `direction`) unless the direction failed or the session was aborted
    /// already, then aborts (``abort()``). Returns whether it was the first to report.
    @discardableResult
    func fail(_ kind: SessionEvent.Kind, direction: Direction) async -> Bool {
        let first = state.withLock { s in
            let i = Self.index(direction)
            defer { s.directions[i].failed = true }
            return !s.aborted && !s.directions[i].failed
        }
        if first { report(kind) }
        await abort()
        return first
    }

    /// Notes that the next chunk the proxy writes to `direction` replaces `original`.
    func noteEdit(_ direction: Direction, original: ByteBuffer) {
        state.withLock { $0.directions[Self.index(direction)].pendingEdit = original }
    }

    /// Reports `buffer`, about to be written to `direction`'s destination by the proxy: `data`,
    /// preceded by `edit` when it replaces a held chunk. Call holding the direction's send lock.
    /// With a ``DepartureStamp`` below the direction's faults, the events wait until the chunk
    /// reaches the socket, and carry that time (after a latency's delay).
    /// Then come the `message` events of the messages the chunk completes (``deposit(_:_:)``).
    func reportSent(_ direction: Direction, _ buffer: ByteBuffer) {
        let (offset, original, messages) = advance(direction, by: buffer.readableBytes, takingEdit: true)
        var events: [SessionEvent.Kind] = []
        events.reserveCapacity(2 + messages.count)
        if let original {
            events.append(
                .edit(
                    direction, originalBytes: original.readableBytes,
                    originalSHA256: SHA256.hex(original.readableBytesView), bytes: buffer.readableBytes,
                    original: original))
        }
        events.append(.data(direction, offset: offset, bytes: buffer))
        for message in messages { events.append(.message(direction, message)) }
        depart(direction, at: offset, events)
    }

    /// Notes that the chunk of `direction` just read (about to pass the gate) completes
    /// `messages`: they are reported right after its `data` (``reportSent(_:_:)``), or after
    /// its `drop` (``reportDrop(_:_:)``). Replaces what an undelivered chunk left.
    func deposit(_ direction: Direction, _ messages: [DecodedMessage]) {
        state.withLock { $0.directions[Self.index(direction)].messages = messages }
    }

    /// Reports `events` of `direction` after the `data` of the last chunk sent: now, or, while
    /// that chunk waits for its ``DepartureStamp``, with it.
    func reportAfterSent(_ direction: Direction, _ events: [SessionEvent.Kind]) {
        let now = state.withLock { s -> Bool in
            let i = Self.index(direction)
            let d = s.directions[i]
            guard d.stampedBelow, d.departuresHead < d.departures.count else { return true }
            s.directions[i].departures[d.departures.count - 1].events += events
            return false
        }
        if now { for kind in events { report(kind) } }
    }

    /// Reports `inject` and `data` for bytes the user typed into `direction`, about to be
    /// written (or, stamped below, once they reach the socket). Call holding the direction's
    /// send lock.
    func reportInjected(_ direction: Direction, _ buffer: ByteBuffer) {
        let (offset, _, _) = advance(direction, by: buffer.readableBytes, takingEdit: false)
        depart(
            direction, at: offset,
            [
                .inject(direction, bytes: buffer.readableBytes),
                .data(direction, offset: offset, bytes: buffer),
            ])
    }

    /// Reports `events` of the chunk starting at `offset` now, or queues them for the
    /// ``DepartureStamp`` below the direction's faults.
    private func depart(_ direction: Direction, at offset: Int, _ events: [SessionEvent.Kind]) {
        let now = state.withLock { s -> Bool in
            let i = Self.index(direction)
            guard s.directions[i].stampedBelow else { return true }
            s.directions[i].departures.append(Departure(start: offset, events: events))
            return false
        }
        if now { for kind in events { report(kind) } }
    }

    /// Makes the chunks of `direction` reported when they reach the socket: a
    /// ``DepartureStamp`` wrapping the destination calls ``departed(_:bytes:)``.
    func stampBelow(_ direction: Direction) {
        state.withLock { $0.directions[Self.index(direction)].stampedBelow = true }
    }

    /// `count` bytes of `direction` are about to be written to the socket: reports, stamped now,
    /// the events of every chunk whose first byte is among them.
    func departed(_ direction: Direction, bytes count: Int) {
        let due = state.withLock { s -> [SessionEvent.Kind] in
            let i = Self.index(direction)
            let end = s.directions[i].departed + count
            s.directions[i].departed = end
            var due: [SessionEvent.Kind] = []
            // In place (a copy of the direction would make the array's storage shared, and
            // every change to it a copy); one chunk due, the usual case, is its own array.
            while s.directions[i].departuresHead < s.directions[i].departures.count,
                s.directions[i].departures[s.directions[i].departuresHead].start < end
            {
                let head = s.directions[i].departuresHead
                if due.isEmpty {
                    due = s.directions[i].departures[head].events
                } else {
                    due += s.directions[i].departures[head].events
                }
                s.directions[i].departures[head].events = []
                s.directions[i].departuresHead = head + 1
            }
            let head = s.directions[i].departuresHead
            if head > 64 && head * 2 >= s.directions[i].departures.count {
                s.directions[i].departures.removeFirst(head)
                s.directions[i].departuresHead = 0
            }
            return due
        }
        for kind in due { report(kind) }
    }

    /// Reports `drop` of a held chunk of `direction` the user discarded.
    /// The messages the chunk completed follow (see ``deposit(_:_:)``).
    func reportDrop(_ direction: Direction, _ original: ByteBuffer) {
        report(
            .drop(
                direction, bytes: original.readableBytes, sha256: SHA256.hex(original.readableBytesView),
                original: original))
        let messages = state.withLock { s -> [DecodedMessage] in
            let i = Self.index(direction)
            defer { s.directions[i].messages = [] }
            return s.directions[i].messages
        }
        for message in messages { report(.message(direction, message)) }
    }

    /// Counts a chunk of `count` bytes just read from `direction`'s source and returns true,
    /// or returns false (counting nothing) when the input was ended (``endInput(_:)``): the
    /// chunk is then discarded.
    func acceptRead(_ direction: Direction, _ count: Int) -> Bool {
        state.withLock { s in
            let i = Self.index(direction)
            guard !s.directions[i].inputEnded else { return false }
            s.directions[i].moved.readBytes += count
            s.directions[i].moved.readOps += 1
            return true
        }
    }

    /// Counts a chunk of `count` bytes written to `direction`'s destination.
    func countWrite(_ direction: Direction, _ count: Int) {
        state.withLock { s in
            s.directions[Self.index(direction)].moved.writeBytes += count
            s.directions[Self.index(direction)].moved.writeOps += 1
        }
    }

    /// What really moved in `direction` (see ``acceptRead(_:_:)``, ``countWrite(_:_:)``), with
    /// `duration`.
    func moved(_ direction: Direction, duration: Duration) -> Stats {
        var stats = state.withLock { $0.directions[Self.index(direction)].moved }
        stats.duration = duration
        return stats
    }

    /// Moves `direction`'s offset on by `count`; with `takingEdit` (a chunk of the proxy) also
    /// takes its pending edit and messages.
    private func advance(
        _ direction: Direction, by count: Int, takingEdit: Bool
    ) -> (offset: Int, edit: ByteBuffer?, messages: [DecodedMessage]) {
        state.withLock { s in
            let i = Self.index(direction)
            let offset = s.directions[i].offset
            s.directions[i].offset += count
            guard takingEdit else { return (offset, nil, []) }
            let taken = (offset, s.directions[i].pendingEdit, s.directions[i].messages)
            s.directions[i].pendingEdit = nil
            if !taken.2.isEmpty { s.directions[i].messages = [] }
            return taken
        }
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

    /// Records that `direction`'s destination was shut and reports `shutdown` unless the
    /// direction failed or it was reported already. Call holding the direction's send lock.
    func reportShutdown(_ direction: Direction) {
        let report = state.withLock { s in
            let i = Self.index(direction)
            defer { s.directions[i].shutdownReported = true }
            return !s.directions[i].failed && !s.directions[i].shutdownReported
        }
        if report { self.report(.shutdown(direction)) }
    }

    /// Why nothing more can be written to `direction`'s destination, or `nil` if it can be.
    func sendBlocker(_ direction: Direction) -> String? {
        state.withLock { s in
            let d = s.directions[Self.index(direction)]
            if d.failed { return "\(direction.rawValue) has failed" }
            if d.shutdownReported { return "\(direction.rawValue) is shut (its FIN was passed on)" }
            return nil
        }
    }

    func endInput(_ direction: Direction) {
        state.withLock { $0.directions[Self.index(direction)].inputEnded = true }
    }

    func inputEnded(_ direction: Direction) -> Bool {
        state.withLock { $0.directions[Self.index(direction)].inputEnded }
    }
}

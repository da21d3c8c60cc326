import FlowCapture
import FlowEvents
import NIOCore
import Synchronization

/// The events of every session, kept in memory within a budget, so that the UI's `w` writes the
/// capture `-w` would have written: the same events, in the same order, through the same
/// ``FlowCapture/CaptureWriter`` — the same blocks, as long as nothing had to be cut.
///
/// Every event is kept (pause, step, faults, edits and their originals…) but the bytes of a long
/// direction: of each direction the first half of `limit` (the head: a request line, an
/// answer's headers) and the newest half (the tail) are kept, and the middle is cut, oldest
/// first. A cut is written as one `gap` event where its first chunk was ("s2c bytes
/// 8.0 MiB–39.7 MiB not kept"); the capture's sequence numbers jump over it. When all sessions
/// together hold more than `budget`, the oldest sessions lose their data first (their other
/// events stay). Each chunk counts its bytes plus ``overhead`` against the limits, so a stream of
/// one-byte chunks is bounded too.
///
/// Recording only updates memory under a lock; it never waits.
public final class SessionArchive: InspectorObserver {
    /// What a kept event costs beyond its bytes, for the limits.
    public static let overhead = 128

    private struct DirectionLog {
        var headCost = 0
        var headFull = false
        var head: [Int] = []
        var tail: [Int] = []
        var tailStart = 0
        var tailCost = 0
        /// The index of this direction's `gap` event, once something was cut.
        var gap: Int?
        var cut: Range<Int>?

        var cost: Int { headCost + tailCost }
    }

    private struct SessionLog {
        var directions = [DirectionLog(), DirectionLog()]
    }

    private struct State {
        var events: [SessionEvent?] = []
        var removed = 0
        var sessions: [Int: SessionLog] = [:]
        var order: [Int] = []
        var oldestWithData = 0
        var cost = 0
    }

    private let state = Mutex(State())
    /// The most bytes kept per direction, head and tail together.
    public let limit: Int
    /// The most bytes kept over all sessions.
    public let budget: Int

    /// An archive keeping at most `limit` bytes a direction (half head, half tail) and `budget`
    /// bytes in all (four times `limit` unless given).
    public init(limit: Int = History.defaultLimit, budget: Int? = nil) {
        self.limit = max(0, limit)
        let (fourTimes, overflow) = self.limit.multipliedReportingOverflow(by: 4)
        self.budget = budget ?? (overflow ? Int.max : fourTimes)
    }

    /// Keeps the event (a session's; `held` and the listener's events are not kept).
    public func record(_ event: SessionEvent) {
        guard let id = event.conn else { return }
        if case .held = event.kind { return }
        state.withLock { s in
            if s.sessions[id] == nil {
                s.sessions[id] = SessionLog()
                s.order.append(id)
            }
            let index = s.events.count
            s.events.append(event)
            guard case .data(let direction, _, let bytes) = event.kind else { return }
            let cost = bytes.readableBytes + Self.overhead
            let d = direction == .c2s ? 0 : 1
            s.cost += cost
            var log = s.sessions[id]!.directions[d]
            if !log.headFull && log.tail.isEmpty && log.headCost + cost <= limit / 2 {
                log.head.append(index)
                log.headCost += cost
            } else {
                log.headFull = true
                log.tail.append(index)
                log.tailCost += cost
                while log.tailCost > limit - log.headCost && log.tail.count - log.tailStart > 1 {
                    cutOldest(&log, &s)
                }
                if log.tailStart > 64 && log.tailStart * 2 >= log.tail.count {
                    log.tail.removeFirst(log.tailStart)
                    log.tailStart = 0
                }
            }
            s.sessions[id]!.directions[d] = log
            while s.cost > budget && s.oldestWithData < s.order.count {
                let oldest = s.order[s.oldestWithData]
                if oldest == id { break }
                dropData(of: oldest, &s)
                s.oldestWithData += 1
            }
            if s.removed > 1024 && s.removed * 2 >= s.events.count { compact(&s) }
        }
    }

    /// Cuts the oldest chunk of `log`'s tail.
    private func cutOldest(_ log: inout DirectionLog, _ s: inout State) {
        let index = log.tail[log.tailStart]
        log.tailStart += 1
        let cost = costOf(s.events[index])
        log.tailCost -= cost
        s.cost -= cost
        remove(index, &log, &s)
    }

    /// Removes the chunk at `index`, growing the direction's cut: its `gap` event stands where
    /// the earliest chunk removed stood, and the other slots are left empty.
    private func remove(_ index: Int, _ log: inout DirectionLog, _ s: inout State) {
        guard let event = s.events[index], case .data(let direction, let offset, let bytes) = event.kind
        else {
            return
        }
        let end = offset + bytes.readableBytes
        let cut = min(log.cut?.lowerBound ?? offset, offset)..<max(log.cut?.upperBound ?? end, end)
        log.cut = cut
        let kind = SessionEvent.Kind.gap(direction, from: cut.lowerBound, to: cut.upperBound)
        if let at = log.gap, at < index, var gap = s.events[at] {
            gap.kind = kind
            s.events[at] = gap
            s.events[index] = nil
            s.removed += 1
        } else {
            if let at = log.gap {
                s.events[at] = nil
                s.removed += 1
            }
            log.gap = index
            s.events[index] = SessionEvent(conn: event.conn, kind, time: event.time)
        }
    }

    private func costOf(_ event: SessionEvent?) -> Int {
        guard case .data(_, _, let bytes) = event?.kind else { return 0 }
        return bytes.readableBytes + Self.overhead
    }

    /// Drops every chunk of session `id` (its other events stay), as one gap per direction.
    private func dropData(of id: Int, _ s: inout State) {
        guard var session = s.sessions[id] else { return }
        for d in 0..<2 {
            var log = session.directions[d]
            for index in log.head + log.tail[log.tailStart...] {
                s.cost -= costOf(s.events[index])
                remove(index, &log, &s)
            }
            log.head = []
            log.tail = []
            log.tailStart = 0
            log.headCost = 0
            log.tailCost = 0
            log.headFull = true
            session.directions[d] = log
        }
        s.sessions[id] = session
    }

    /// Removes the empty slots, renumbering what points into them.
    private func compact(_ s: inout State) {
        var renumbered = [Int](repeating: -1, count: s.events.count)
        var kept: [SessionEvent?] = []
        kept.reserveCapacity(s.events.count - s.removed)
        for (index, event) in s.events.enumerated() where event != nil {
            renumbered[index] = kept.count
            kept.append(event)
        }
        s.events = kept
        s.removed = 0
        for id in s.order {
            guard var session = s.sessions[id] else { continue }
            for d in 0..<2 {
                session.directions[d].head = session.directions[d].head.map { renumbered[$0] }
                session.directions[d].tail = session.directions[d].tail[session.directions[d].tailStart...]
                    .map {
                        renumbered[$0]
                    }
                session.directions[d].tailStart = 0
                session.directions[d].gap = session.directions[d].gap.map { renumbered[$0] }
            }
            s.sessions[id] = session
        }
    }

    /// Every kept event, in the order recorded, with a `gap` where bytes were cut.
    public func events() -> [SessionEvent] {
        state.withLock { s in s.events.compactMap { $0 } }
    }

    /// The number of sessions seen.
    public var sessionCount: Int { state.withLock { $0.order.count } }

    /// Writes every kept event to a new capture at `path` (see ``FlowCapture/CaptureWriter``),
    /// flushed to disk, and returns how many sessions it holds. An existing file is replaced only
    /// with `replacing`.
    /// - Throws: the writer's ``FlowCapture/CaptureError`` (`exists` when the file exists and
    ///   `replacing` is false, cannot create, cannot write).
    @discardableResult
    public func write(to path: String, replacing: Bool) throws(CaptureError) -> Int {
        let events = events()
        let writer = try CaptureWriter(path: path, replacing: replacing)
        do {
            try writer.write(events)
            try writer.flush()
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
        return Set(events.compactMap(\.conn)).count
    }
}

import FlowEvents
import NIOCore
import Synchronization

/// The inspector's state as the user sees it, kept up to date from ``SessionEvent``s; the UI
/// and `view` draw from its ``snapshot(historyFor:)``.
///
/// Recording an event only updates memory under a lock (never waits on the UI). The history of
/// each direction is bounded by `historyLimit`, and all sessions together by `historyBudget`
/// (counted as ``History/footprint``s; the histories of the oldest sessions are dropped first);
/// counters keep counting everything.
/// With a limit of 0 no history is kept at all (headless runs only count).
///
/// Decoded messages (`message` events) are kept the same way: the newest `messageLimit` of each
/// session (a ``MessageList``), and at most `messageBudget` over all sessions (the lists of the
/// oldest sessions are cut first); each direction counts every message and keeps its first
/// `decode_error`; the session keeps its decoder's name.
public final class InspectorModel: InspectorObserver {
    private struct Live {
        var snapshot: SessionSnapshot
        var history: [Direction: History]
        var rateBucket: [Direction: (second: UInt64, bytes: Int)] = [:]
        /// The kind of the direction's next `data`: set by `edit` and `inject`.
        var nextKind: [Direction: HistoryChunk.Kind] = [:]
        var messages: MessageList
    }

    private struct State {
        var version = 0
        var listenAddress: String?
        var target: String
        var capturePath: String?
        var captureError: String?
        var notice: String?
        var noticeIsError = false
        var mark: ByteMark?
        var order: [Int] = []
        var sessions: [Int: Live] = [:]
        var historyBytes = 0
        var oldestWithHistory = 0
        var messagesKept = 0
        var oldestWithMessages = 0
        /// `tls` events of sessions not open yet (their handshakes come first), by session;
        /// moved to the session at its `open`, dropped at a failure. At most two per session,
        /// and only sessions being set up have any.
        var pendingTLS: [Int: [TLSSummary]] = [:]
    }

    private let state: Mutex<State>
    /// The most bytes of history kept per direction.
    public let historyLimit: Int
    /// The most history kept over all sessions, in bytes as ``History/footprint`` counts them.
    public let historyBudget: Int
    /// The most messages kept per session (see ``MessageList``).
    public let messageLimit: Int
    /// The most messages kept over all sessions.
    public let messageBudget: Int

    /// An empty model for a proxy to `target` (or a capture's name), optionally writing a capture.
    /// `historyBudget` defaults to four times `historyLimit`; `messageBudget` to ten times
    /// `messageLimit`.
    public init(
        target: String, capturePath: String? = nil, historyLimit: Int = History.defaultLimit,
        historyBudget: Int? = nil, messageLimit: Int = MessageList.defaultLimit, messageBudget: Int? = nil
    ) {
        self.historyLimit = historyLimit
        let (fourTimes, overflow) = historyLimit.multipliedReportingOverflow(by: 4)
        self.historyBudget = historyBudget ?? (overflow ? Int.max : fourTimes)
        self.messageLimit = max(0, messageLimit)
        let (tenTimes, messageOverflow) = self.messageLimit.multipliedReportingOverflow(by: 10)
        self.messageBudget = messageBudget ?? (messageOverflow ? Int.max : tenTimes)
        state = Mutex(State(target: target, capturePath: capturePath))
    }

    /// The version of the latest change; cheap, for deciding whether to redraw.
    public var version: Int { state.withLock { $0.version } }

    /// The ids of every session, oldest first.
    public var sessionIDs: [Int] { state.withLock { $0.order } }

    /// Everything as it is now. Histories and message lists are included only for the sessions
    /// in `historyFor` (all sessions when `nil`), so a large session list stays cheap to copy.
    public func snapshot(historyFor wanted: Set<Int>? = nil) -> InspectorSnapshot {
        state.withLock { s in
            var snap = InspectorSnapshot()
            snap.version = s.version
            snap.listenAddress = s.listenAddress
            snap.target = s.target
            snap.capturePath = s.capturePath
            snap.captureError = s.captureError
            snap.notice = s.notice
            snap.noticeIsError = s.noticeIsError
            snap.mark = s.mark
            let now = WallClock.nanoseconds() / 1_000_000_000
            snap.sessions = s.order.compactMap { id in
                guard let live = s.sessions[id] else { return nil }
                var session = live.snapshot
                if wanted == nil || wanted!.contains(id) { session.messages = live.messages }
                for direction in Direction.allCases {
                    if let bucket = live.rateBucket[direction], bucket.second + 1 < now {
                        session[direction].rate = 0
                    }
                    if wanted == nil || wanted!.contains(id), let history = live.history[direction] {
                        session[direction].history = history.kept
                        session[direction].droppedBytes = history.droppedBytes
                        session[direction].cut = history.cut
                    }
                }
                return session
            }
            return snap
        }
    }

    /// Sets the line shown in the UI's title (``InspectorSnapshot/notice``) and the byte it is
    /// about (``InspectorSnapshot/mark``); `nil` removes them.
    public func setNotice(_ text: String?, isError: Bool = false, mark: ByteMark? = nil) {
        state.withLock { s in
            s.version += 1
            s.notice = text
            s.noticeIsError = isError
            s.mark = mark
        }
    }

    /// Updates the model with one event.
    public func record(_ event: SessionEvent) {
        state.withLock { s in
            s.version += 1
            guard let id = event.conn else {
                switch event.kind {
                case .listening(let address): s.listenAddress = address
                case .captureError(let error): s.captureError = s.captureError ?? error
                case .acceptError(let error):
                    s.notice = "accept error: \(error)"
                    s.noticeIsError = true
                case .acceptPaused(let sessions, let limit):
                    s.notice =
                        "accepting paused at the limit (\(sessions) of \(limit) sessions): new clients wait"
                    s.noticeIsError = true
                case .acceptResumed:
                    s.notice = "accepting again"
                    s.noticeIsError = false
                default: break
                }
                return
            }
            switch event.kind {
            case .open(let client, let target):
                add(&s, id: id, client: client.description, target: Self.label(target, event), at: event.time)
                if let pending = s.pendingTLS.removeValue(forKey: id) {
                    s.sessions[id]?.snapshot.tls = pending
                }
            case .tls(let summary) where s.sessions[id] == nil:
                if (s.pendingTLS[id]?.count ?? 0) < 2 { s.pendingTLS[id, default: []].append(summary) }
            case .tlsError(let side, let error) where s.sessions[id] == nil:
                // A failed handshake: the session never opens; it is listed like a failed connect.
                add(
                    &s, id: id, client: event.clientAddress?.description ?? "(TLS \(side.rawValue) side)",
                    target: s.target, at: event.time)
                s.sessions[id]?.snapshot.tls = s.pendingTLS.removeValue(forKey: id) ?? []
                s.sessions[id]?.snapshot.connectError = "TLS: \(error)"
                s.sessions[id]?.snapshot.closed = event.time
                s.sessions[id]?.snapshot.c2s.phase = .closed
                s.sessions[id]?.snapshot.s2c.phase = .closed
            case .connectError(let client, let target, let error):
                add(&s, id: id, client: client.description, target: Self.label(target, event), at: event.time)
                s.sessions[id]?.snapshot.connectError = error
                s.sessions[id]?.snapshot.closed = event.time
                s.sessions[id]?.snapshot.c2s.phase = .closed
                s.sessions[id]?.snapshot.s2c.phase = .closed
            case .handshakeError(let client, let error):
                add(&s, id: id, client: client.description, target: "(proxy handshake)", at: event.time)
                s.sessions[id]?.snapshot.connectError = "proxy handshake: \(error)"
                s.sessions[id]?.snapshot.closed = event.time
                s.sessions[id]?.snapshot.c2s.phase = .closed
                s.sessions[id]?.snapshot.s2c.phase = .closed
            case .captureError(let error):
                s.captureError = s.captureError ?? error
            case .listening:
                break
            default:
                guard s.sessions[id] != nil else { return }
                let before = historyBytes(s.sessions[id]!)
                let messagesBefore = s.sessions[id]!.messages.count
                apply(event, to: &s.sessions[id]!)
                s.historyBytes += historyBytes(s.sessions[id]!) - before
                if s.historyBytes > historyBudget { enforceBudget(&s, keeping: id) }
                s.messagesKept += s.sessions[id]!.messages.count - messagesBefore
                if s.messagesKept > messageBudget { enforceMessageBudget(&s, keeping: id) }
            }
        }
    }

    /// What a session's histories cost against the budget: their ``History/footprint``s (bytes
    /// plus a per-chunk overhead, so many tiny chunks count for what they cost).
    private func historyBytes(_ live: Live) -> Int {
        (live.history[.c2s]?.footprint ?? 0) + (live.history[.s2c]?.footprint ?? 0)
    }

    /// Drops the histories of the oldest sessions until the total fits the budget; the session
    /// that just grew keeps its own (its per-direction limit bounds it).
    private func enforceBudget(_ s: inout State, keeping current: Int) {
        while s.historyBytes > historyBudget && s.oldestWithHistory < s.order.count {
            let id = s.order[s.oldestWithHistory]
            if id == current { break }
            if var live = s.sessions[id] {
                s.historyBytes -= historyBytes(live)
                live.history[.c2s]?.dropAll()
                live.history[.s2c]?.dropAll()
                s.sessions[id] = live
            }
            s.oldestWithHistory += 1
        }
    }

    /// Cuts the message lists of the oldest sessions until the total fits the budget; the
    /// session that just grew keeps its own (``messageLimit`` bounds it).
    private func enforceMessageBudget(_ s: inout State, keeping current: Int) {
        while s.messagesKept > messageBudget && s.oldestWithMessages < s.order.count {
            let id = s.order[s.oldestWithMessages]
            if id == current { break }
            if var live = s.sessions[id] {
                s.messagesKept -= live.messages.count
                live.messages.cutAll()
                s.sessions[id] = live
            }
            s.oldestWithMessages += 1
        }
    }

    private func add(_ s: inout State, id: Int, client: String, target: String, at time: UInt64) {
        guard s.sessions[id] == nil else { return }
        s.order.append(id)
        s.sessions[id] = Live(
            snapshot: SessionSnapshot(id: id, client: client, target: target, opened: time),
            // With no history wanted (headless), none is kept, not even the newest chunk.
            history: historyLimit == 0
                ? [:] : [.c2s: History(limit: historyLimit), .s2c: History(limit: historyLimit)],
            messages: MessageList(limit: messageLimit))
    }

    private func apply(_ event: SessionEvent, to live: inout Live) {
        switch event.kind {
        case .data(let direction, let offset, let bytes):
            let count = bytes.readableBytes
            live.snapshot[direction].bytes = max(live.snapshot[direction].bytes, offset + count)
            live.snapshot[direction].chunks += 1
            live.history[direction]?.append(
                HistoryChunk(
                    offset: offset, timestamp: event.time, bytes: bytes,
                    kind: live.nextKind.removeValue(forKey: direction) ?? .forwarded))
            let second = event.time / 1_000_000_000
            var bucket = live.rateBucket[direction] ?? (second, 0)
            if bucket.second != second {
                live.snapshot[direction].rate = bucket.second + 1 == second ? Double(bucket.bytes) : 0
                bucket = (second, 0)
            }
            bucket.bytes += count
            live.rateBucket[direction] = bucket
        case .eof(let direction):
            if live.snapshot[direction].phase == .open { live.snapshot[direction].phase = .eof }
        case .shutdown(let direction):
            if !live.snapshot[direction].phase.isError { live.snapshot[direction].phase = .shut }
        case .readError(let direction, let error):
            live.snapshot[direction].phase = .readError(error)
        case .writeError(let direction, let error):
            live.snapshot[direction].phase = .writeError(error)
        case .pause(let direction):
            live.snapshot[direction].paused = true
        case .resume(let direction):
            live.snapshot[direction].paused = false
        case .step:
            break
        case .fault(let direction, let fault):
            if fault.hasPrefix("-") {
                let removed = String(fault.dropFirst())
                if let index = live.snapshot[direction].faults.firstIndex(of: removed) {
                    live.snapshot[direction].faults.remove(at: index)
                }
            } else {
                live.snapshot[direction].faults.append(fault)
            }
        case .held(let direction, let chunk):
            live.snapshot[direction].held = chunk
            live.snapshot[direction].heldSince = event.time
        case .edit(let direction, _, _, _, let original):
            live.nextKind[direction] = .edited
            if let original { keepUnsent(original, .replaced, direction, event.time, &live) }
        case .drop(let direction, _, _, let original):
            if let original { keepUnsent(original, .dropped, direction, event.time, &live) }
        case .inject(let direction, _):
            live.nextKind[direction] = .injected
        case .close:
            live.snapshot.closed = event.time
            for direction in Direction.allCases {
                live.snapshot[direction].held = nil
                live.snapshot[direction].paused = false
                if !live.snapshot[direction].phase.isError { live.snapshot[direction].phase = .closed }
            }
        case .gap(let direction, let from, let to):
            live.history[direction]?.noteGap(from: from, to: to)
            live.snapshot[direction].bytes = max(live.snapshot[direction].bytes, to)
        case .decoder(let proto):
            live.snapshot.decoder = proto
        case .message(let direction, let message):
            live.messages.append(MessageRecord(message, direction: direction, time: event.time))
            live.snapshot[direction].messages += 1
        case .decodeError(let direction, let proto, let offset, let error):
            live.snapshot[direction].decodeErrors += 1
            if live.snapshot[direction].decodeError == nil {
                live.snapshot[direction].decodeError = DecodeFailure(
                    proto: proto, offset: offset, error: error)
            }
        case .tls(let summary):
            live.snapshot.tls.append(summary)
        case .tlsError(_, let error):
            live.snapshot.tlsNotice = error
        case .open, .connectError, .listening, .captureError, .rewrite, .note, .acceptError,
            .acceptPaused, .acceptResumed, .controlError, .breakpoints, .handshakeError:
            break
        }
    }

    /// Keeps a chunk that was read but not sent, at the offset the next sent byte gets.
    private func keepUnsent(
        _ bytes: ByteBuffer, _ kind: HistoryChunk.Kind, _ direction: Direction, _ time: UInt64,
        _ live: inout Live
    ) {
        live.history[direction]?.append(
            HistoryChunk(offset: live.snapshot[direction].bytes, timestamp: time, bytes: bytes, kind: kind))
    }

    /// A session's target as the list shows it: the host name a proxy client named, with the
    /// address it was resolved to (`example.com:80 (93.184.216.34:80)`), else the address.
    static func label(_ target: PeerAddress, _ event: SessionEvent) -> String {
        guard let name = event.targetName, case .ip(_, let port) = target else { return target.description }
        return "\(name.contains(":") ? "[\(name)]" : name):\(port) (\(target))"
    }
}

import FlowCapture
import FlowCore
import FlowEvents
import NIOCore

extension InspectorSnapshot {
    /// Writes every session of the snapshot to a new pcapng capture at `path` (mode 0600), as the
    /// UI's `w` key does.
    ///
    /// Per session, in this order: `open` (or `connectError`) at the session's start; the kept
    /// chunks of both directions in timestamp order (what was sent: an edited chunk with a note
    /// giving its original's length and SHA-256, an injected one with a note, a dropped one as
    /// a note only); then, per direction, what its phase says:
    /// `EOF` → `eof`; `shut` and `closed` → `eof` and `shutdown` (a FIN); an error → the
    /// `readError`/`writeError`; a held chunk → a `note`; and `close` when the session ended.
    /// Bytes already dropped from a direction's display history cannot be written: a `note`
    /// says how many. The records of all sessions are interleaved by time. Addresses are parsed
    /// back from their text (`"127.0.0.1:53422"`, `"[::1]:8080"`, otherwise a Unix path).
    /// - Throws: the ``CaptureError`` of the writer (cannot create, cannot write).
    public func writeCapture(to path: String) throws(CaptureError) {
        let writer = try CaptureWriter(path: path)
        do {
            for record in captureRecords() { try writer.write(record) }
            try writer.flush()
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
    }

    /// The records ``writeCapture(to:)`` writes, ordered by time (stable within a session).
    func captureRecords() -> [CaptureRecord] {
        var all: [CaptureRecord] = []
        for session in sessions { all += Self.records(of: session) }
        return all.enumerated()
            .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            .map(\.element)
    }

    private static func records(of session: SessionSnapshot) -> [CaptureRecord] {
        let id = session.id
        var out: [CaptureRecord] = []
        var time = session.opened
        func add(_ event: CaptureEvent, at timestamp: UInt64? = nil) {
            time = max(time, timestamp ?? time)
            out.append(CaptureRecord(session: id, timestamp: time, event: event))
        }
        let server = PeerAddress(text: session.target)
        if let error = session.connectError {
            add(.connectError(client: PeerAddress(text: session.client), server: server, error: error))
            return out
        }
        add(.open(client: PeerAddress(text: session.client), server: server))
        for direction in Direction.allCases where session[direction].droppedBytes > 0 {
            let dropped = session[direction].droppedBytes
            add(
                .note(
                    "\(direction.rawValue): the first \(dropped) bytes were no longer kept for display "
                        + "(history limit) and are missing from this capture"))
        }
        let chunks = Direction.allCases.flatMap { direction in
            session[direction].history.map { (direction, $0) }
        }
        .enumerated()
        .sorted { ($0.element.1.timestamp, $0.offset) < ($1.element.1.timestamp, $1.offset) }
        .map(\.element)
        var pendingEdit: [Direction: (Int, String)] = [:]
        for (direction, chunk) in chunks {
            let count = chunk.bytes.readableBytes
            switch chunk.kind {
            case .held:
                break
            case .forwarded:
                add(.data(direction, chunk.bytes), at: chunk.timestamp)
            case .edited:
                if let (original, sha) = pendingEdit.removeValue(forKey: direction) {
                    add(
                        .note(
                            CaptureObserver.editNote(
                                direction, originalBytes: original, sha256: sha, bytes: count)),
                        at: chunk.timestamp)
                }
                add(.data(direction, chunk.bytes), at: chunk.timestamp)
            case .injected:
                add(.note(CaptureObserver.injectNote(direction, bytes: count)), at: chunk.timestamp)
                add(.data(direction, chunk.bytes), at: chunk.timestamp)
            case .replaced:
                // The edited chunk follows this one: its note gives both sizes.
                pendingEdit[direction] = (count, SHA256.hex(chunk.bytes.readableBytesView))
            case .dropped:
                add(
                    .note(
                        CaptureObserver.dropNote(
                            direction, bytes: count, sha256: SHA256.hex(chunk.bytes.readableBytesView))),
                    at: chunk.timestamp)
            }
        }
        for direction in Direction.allCases {
            let state = session[direction]
            switch state.phase {
            case .open: break
            case .eof: add(.eof(direction))
            case .shut, .closed:
                add(.eof(direction))
                add(.shutdown(direction))
            case .readError(let error): add(.readError(direction, error))
            case .writeError(let error): add(.writeError(direction, error))
            }
            if let held = state.heldBytes {
                add(.note("\(direction.rawValue): paused, \(held) bytes read and held, not delivered yet"))
            }
        }
        if let closed = session.closed { add(.close, at: closed) }
        return out
    }

    /// A snapshot of sessions loaded from a capture, for `flowtap view`: `name` becomes the
    /// target shown in the title (and the capture path); every record is replayed through an
    /// ``InspectorModel`` with an unbounded history, so phases, counters, pauses and the
    /// kept chunks are what the live UI would have shown. A session without an `open` record
    /// (a capture that started late) gets one from its addresses (`"?"` when unknown).
    public static func from(sessions: [CapturedSession], name: String) -> InspectorSnapshot {
        var snapshot = model(from: sessions, name: name).snapshot()
        snapshot.listenAddress = nil
        return snapshot
    }

    /// The model behind ``from(sessions:name:)``, for the offline UI of `flowtap view`.
    public static func model(from sessions: [CapturedSession], name: String) -> InspectorModel {
        let model = InspectorModel(target: name, capturePath: name, historyLimit: Int.max)
        for event in CaptureReplay.events(sessions) { model.record(event) }
        return model
    }
}

extension PeerAddress {
    /// Parses the text of ``description`` back: `"[v6]:port"` and `"host:port"` (a numeric port)
    /// are IP endpoints, anything else is a Unix socket path.
    fileprivate init(text: String) {
        if text.hasPrefix("["), let close = text.lastIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65535).contains(port) {
                self = .ip(host: host, port: port)
                return
            }
        }
        if !text.hasPrefix("/"), let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
            !text[..<colon].contains(":")
        {
            self = .ip(host: String(text[..<colon]), port: port)
            return
        }
        self = .unix(path: text)
    }
}

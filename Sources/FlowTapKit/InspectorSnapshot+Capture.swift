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
    /// giving its original's length and SHA-256, an injected one after an `inject`, a dropped one
    /// as a `drop` only); then, per direction, what its phase says:
    /// `EOF` → `eof`; `shut` and `closed` → `eof` and `shutdown` (a FIN); an error → the
    /// `readError`/`writeError`; a held chunk → a `note`; and `close` when the session ended
    /// (its statistics are what the display saw: bytes sent, chunks shown).
    /// Bytes already dropped from a direction's display history cannot be written: a `note`
    /// says how many. The records of all sessions are interleaved by time. Addresses are parsed
    /// back from their text (`"127.0.0.1:53422"`, `"[::1]:8080"`, otherwise a Unix path).
    /// - Throws: the ``CaptureError`` of the writer (cannot create, cannot write).
    public func writeCapture(to path: String) throws(CaptureError) {
        let writer = try CaptureWriter(path: path)
        do {
            try writer.write(captureEvents())
            try writer.flush()
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
    }

    /// The events ``writeCapture(to:)`` writes, ordered by time (stable within a session).
    func captureEvents() -> [SessionEvent] {
        var all: [SessionEvent] = []
        for session in sessions { all += Self.events(of: session) }
        return all.enumerated()
            .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
    }

    private static func events(of session: SessionSnapshot) -> [SessionEvent] {
        let id = session.id
        var out: [SessionEvent] = []
        var time = session.opened
        var sent: [Direction: Int] = [.c2s: 0, .s2c: 0]
        func add(_ kind: SessionEvent.Kind, at timestamp: UInt64? = nil) {
            time = max(time, timestamp ?? time)
            out.append(SessionEvent(conn: id, kind, time: time))
        }
        func data(_ direction: Direction, _ chunk: HistoryChunk) {
            add(.data(direction, offset: chunk.offset, bytes: chunk.bytes), at: chunk.timestamp)
            sent[direction] = chunk.offset + chunk.bytes.readableBytes
        }
        let server = PeerAddress(text: session.target)
        if let error = session.connectError {
            add(.connectError(client: PeerAddress(text: session.client), target: server, error: error))
            return out
        }
        add(.open(client: PeerAddress(text: session.client), target: server))
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
        var pendingEdit: [Direction: ByteBuffer] = [:]
        for (direction, chunk) in chunks {
            let count = chunk.bytes.readableBytes
            switch chunk.kind {
            case .held:
                break
            case .forwarded:
                data(direction, chunk)
            case .edited:
                if let original = pendingEdit.removeValue(forKey: direction) {
                    add(
                        .edit(
                            direction, originalBytes: original.readableBytes,
                            originalSHA256: SHA256.hex(original.readableBytesView), bytes: count,
                            original: original),
                        at: chunk.timestamp)
                }
                data(direction, chunk)
            case .injected:
                add(.inject(direction, bytes: count), at: chunk.timestamp)
                data(direction, chunk)
            case .replaced:
                // The edited chunk follows this one: its edit event gives both sizes.
                pendingEdit[direction] = chunk.bytes
            case .dropped:
                add(
                    .drop(
                        direction, bytes: count, sha256: SHA256.hex(chunk.bytes.readableBytesView),
                        original: chunk.bytes),
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
        if let closed = session.closed {
            add(
                .close(
                    c2s: session.c2s.stats(closed - session.opened),
                    s2c: session.s2c.stats(closed - session.opened)), at: closed)
        }
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

extension DirectionSnapshot {
    /// What the display saw of the direction, as `close` statistics over `elapsed` nanoseconds:
    /// the bytes and chunks passed on, counted as read and written.
    fileprivate func stats(_ elapsed: UInt64) -> Stats {
        Stats(
            readBytes: bytes, readOps: chunks, writeBytes: bytes, writeOps: chunks,
            duration: .nanoseconds(Int64(clamping: elapsed)))
    }
}

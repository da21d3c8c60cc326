import FlowCapture
import FlowEvents
import NIOCore

/// What a replay sends and expects, taken from one captured session.
///
/// Each direction has two byte streams when the user changed it in the proxy: what its
/// destination was sent (``bytes``: the `data` events, edits and injected bytes included) and
/// what its source really sent (``sourced``: an edited chunk's original instead of the edit, a
/// dropped chunk's original, no injected bytes), from the originals the capture keeps in its
/// `edit` and `drop` records. A replay sends what the live peer's counterpart received and
/// expects what the captured peer really sent: playing the client it sends the `c2s` the server
/// got and compares the server's answers with the `s2c` the server sent; playing the server it
/// sends the `s2c` the client got and compares with the `c2s` the client sent.
///
/// For each direction: its steps (each data chunk as delivered, and the FIN where the
/// direction's source sent it — the first `eof` or `shutdown` record of the direction), each
/// with its capture time and how many bytes the other direction's source had sent before it.
/// Data after a direction's FIN or error is ignored; a direction that ended with a read or
/// write error has no FIN step. A chunk whose original the capture does not hold (a `--rewrite`
/// substitution, an edited chunk over the 96 KiB a record keeps) counts in
/// ``unknownOriginals``; ``sourced`` has the bytes sent instead (a dropped one: nothing).
public struct ReplayScript: Sendable {
    /// One thing the replayed side does.
    public struct Step: Sendable, Equatable {
        /// Send a chunk, or send FIN.
        public enum Action: Sendable, Equatable {
            /// Write these bytes in one write.
            case send(ByteBuffer)
            /// Shut the write side (TCP FIN).
            case fin
        }
        /// What to do.
        public var action: Action
        /// When the captured side did it (nanoseconds since the epoch).
        public var timestamp: UInt64
        /// How many bytes the other direction had carried before it, in the capture.
        public var peerBytesBefore: Int

        /// A step doing `action`, captured at `timestamp` after `peerBytesBefore` bytes of the peer.
        public init(action: Action, timestamp: UInt64, peerBytesBefore: Int) {
            self.action = action
            self.timestamp = timestamp
            self.peerBytesBefore = peerBytesBefore
        }
    }

    /// The captured session's id.
    public let sessionID: Int
    /// When the captured session opened (its first record), nanoseconds since the epoch.
    public let start: UInt64
    /// The steps of the client's side (`c2s`) and of the server's side (`s2c`).
    public let steps: [Direction: [Step]]
    /// The whole byte stream each direction carried to its destination in the capture.
    public let bytes: [Direction: [UInt8]]
    /// The whole byte stream each direction's source really sent (see the type).
    public let sourced: [Direction: [UInt8]]
    /// Per direction, the chunks changed in the proxy whose original the capture does not hold.
    public let unknownOriginals: [Direction: Int]
    /// Both directions' chunks in capture order, each marked with the stream(s) it belongs to.
    private let pieces: [Piece]
    /// The session's target, for `auto` decoding's port hint.
    public let target: PeerAddress?

    /// One chunk of a direction, in capture order.
    private struct Piece: Sendable {
        var direction: Direction
        var chunk: ByteBuffer
        var time: UInt64
        /// Delivered to the direction's destination (a `data` event).
        var delivered: Bool
        /// Sent by the direction's source.
        var sourced: Bool
        /// The direction's FIN (no bytes).
        var fin = false
    }

    /// The script of a captured session.
    public init(_ session: CapturedSession) {
        sessionID = session.id
        target = session.server
        start = session.events.first?.time ?? 0
        var steps: [Direction: [Step]] = [.c2s: [], .s2c: []]
        var bytes: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
        var sourced: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
        var unknown: [Direction: Int] = [.c2s: 0, .s2c: 0]
        var pieces: [Piece] = []
        var ended: Set<Direction> = []
        /// What the next `data` of a direction stands for: an edit's original (nil: not kept),
        /// injected bytes, or a rewritten chunk.
        enum Change {
            case edit(ByteBuffer?)
            case inject, rewrite
        }
        var pending: [Direction: Change] = [:]
        for event in session.events {
            switch event.kind {
            case .edit(let d, _, _, _, let original) where !ended.contains(d):
                pending[d] = .edit(original)
            case .inject(let d, _) where !ended.contains(d):
                pending[d] = .inject
            case .rewrite(let d, _, _, _, _) where !ended.contains(d):
                pending[d] = .rewrite
            case .drop(let d, _, _, let original) where !ended.contains(d):
                guard let original else {
                    unknown[d]! += 1
                    continue
                }
                guard original.readableBytes > 0 else { continue }
                pieces.append(
                    Piece(direction: d, chunk: original, time: event.time, delivered: false, sourced: true))
                sourced[d]! += original.readableBytesView
            case .data(let d, _, let chunk) where !ended.contains(d):
                let change = pending.removeValue(forKey: d)
                guard chunk.readableBytes > 0 else { continue }
                let before = sourced[d.reversed]!.count
                steps[d]!.append(
                    Step(action: .send(chunk), timestamp: event.time, peerBytesBefore: before))
                bytes[d]! += chunk.readableBytesView
                switch change {
                case nil:
                    pieces.append(
                        Piece(direction: d, chunk: chunk, time: event.time, delivered: true, sourced: true))
                    sourced[d]! += chunk.readableBytesView
                case .inject:
                    pieces.append(
                        Piece(direction: d, chunk: chunk, time: event.time, delivered: true, sourced: false))
                case .edit(let original?):
                    pieces.append(
                        Piece(direction: d, chunk: chunk, time: event.time, delivered: true, sourced: false))
                    pieces.append(
                        Piece(
                            direction: d, chunk: original, time: event.time, delivered: false, sourced: true))
                    sourced[d]! += original.readableBytesView
                case .edit(nil), .rewrite:
                    unknown[d]! += 1
                    pieces.append(
                        Piece(direction: d, chunk: chunk, time: event.time, delivered: true, sourced: true))
                    sourced[d]! += chunk.readableBytesView
                }
            case .eof(let d), .shutdown(let d):
                guard ended.insert(d).inserted else { continue }
                let before = sourced[d.reversed]!.count
                steps[d]!.append(Step(action: .fin, timestamp: event.time, peerBytesBefore: before))
                pieces.append(
                    Piece(
                        direction: d, chunk: ByteBuffer(), time: event.time, delivered: true, sourced: true,
                        fin: true))
            case .readError(let d, _), .writeError(let d, _):
                ended.insert(d)
            default:
                continue
            }
        }
        self.steps = steps
        self.bytes = bytes
        self.sourced = sourced
        self.unknownOriginals = unknown
        self.pieces = pieces
    }

    /// The conversation a live peer's counterpart had in the capture, when the replay plays
    /// `role`: the sent direction as delivered, the received one as its source sent it, both in
    /// capture order, as `data` events of session `conn` with offsets counted per direction and
    /// a `shutdown` where each direction's FIN was (what ``EventDecoder`` decodes to find the
    /// messages the replay expects). The sent direction's events are its ``steps``, in order.
    public func conversation(playing role: ReplayRole, conn: Int) -> [SessionEvent] {
        var offsets: [Direction: Int] = [.c2s: 0, .s2c: 0]
        var events: [SessionEvent] = []
        for piece in pieces where piece.direction == role.sends ? piece.delivered : piece.sourced {
            if piece.fin {
                events.append(SessionEvent(conn: conn, .shutdown(piece.direction), time: piece.time))
                continue
            }
            let offset = offsets[piece.direction]!
            events.append(
                SessionEvent(
                    conn: conn, .data(piece.direction, offset: offset, bytes: piece.chunk), time: piece.time))
            offsets[piece.direction] = offset + piece.chunk.readableBytes
        }
        return events
    }

    /// Whether the session carried any data.
    public var hasData: Bool { !bytes[.c2s]!.isEmpty || !bytes[.s2c]!.isEmpty }

    /// Why no session could be picked from a capture.
    public enum SelectionError: Error, Sendable, Equatable, CustomStringConvertible {
        /// `--session N` named a session the capture does not have (`available` lists those it has).
        case noSuchSession(Int, available: [Int])
        /// The capture has no session that carried data.
        case noData

        /// `no session 3 (sessions: 1, 2)`, `no session with data`.
        public var description: String {
            switch self {
            case .noSuchSession(let id, let available):
                let list = available.isEmpty ? "none" : available.map(String.init).joined(separator: ", ")
                return "no session \(id) (sessions: \(list))"
            case .noData:
                return "no session with data"
            }
        }
    }

    /// The session numbered `id`, or (with nil) the first session that carried data.
    /// - Throws: ``SelectionError``.
    public static func select(
        _ sessions: [CapturedSession], id: Int?
    ) throws(SelectionError) -> CapturedSession {
        if let id {
            guard let session = sessions.first(where: { $0.id == id }) else {
                throw .noSuchSession(id, available: sessions.map(\.id))
            }
            return session
        }
        guard let session = sessions.first(where: { ReplayScript($0).hasData }) else { throw .noData }
        return session
    }
}

import FlowCapture
import FlowEvents
import NIOCore

/// What a replay sends and expects, taken from one captured session.
///
/// For each direction: its steps (each data chunk as captured, and the FIN where the direction's
/// source sent it — the first `eof` or `shutdown` record of the direction), each with its
/// capture time and how many bytes the other direction had carried before it; and the whole
/// byte stream the direction carried. Data after a direction's FIN or error is ignored; a
/// direction that ended with a read or write error has no FIN step.
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
    /// The whole byte stream each direction carried in the capture.
    public let bytes: [Direction: [UInt8]]

    /// The script of a captured session.
    public init(_ session: CapturedSession) {
        sessionID = session.id
        start = session.events.first?.time ?? 0
        var steps: [Direction: [Step]] = [.c2s: [], .s2c: []]
        var bytes: [Direction: [UInt8]] = [.c2s: [], .s2c: []]
        var ended: Set<Direction> = []
        for event in session.events {
            switch event.kind {
            case .data(let d, _, let chunk) where !ended.contains(d):
                guard chunk.readableBytes > 0 else { continue }
                let before = bytes[d.reversed]!.count
                steps[d]!.append(
                    Step(action: .send(chunk), timestamp: event.time, peerBytesBefore: before))
                bytes[d]! += chunk.readableBytesView
            case .eof(let d), .shutdown(let d):
                guard ended.insert(d).inserted else { continue }
                let before = bytes[d.reversed]!.count
                steps[d]!.append(Step(action: .fin, timestamp: event.time, peerBytesBefore: before))
            case .readError(let d, _), .writeError(let d, _):
                ended.insert(d)
            default:
                continue
            }
        }
        self.steps = steps
        self.bytes = bytes
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

import FlowEvents

/// One session as loaded back from a capture by ``CaptureReader``.
public struct CapturedSession: Sendable, Equatable {
    /// The session's id.
    public var id: Int
    /// The client, from the session's last `open` event; `nil` if the capture has none.
    public var client: PeerAddress?
    /// The server, from the last `open` or `connectError` event; `nil` if the capture has none.
    public var server: PeerAddress?
    /// The session's records, in the order they were written.
    public var records: [CaptureRecord]

    /// Makes a session from its parts.
    public init(id: Int, client: PeerAddress?, server: PeerAddress?, records: [CaptureRecord]) {
        self.id = id
        self.client = client
        self.server = server
        self.records = records
    }

    /// Appends `record` (of this session), taking the client and server from an `open` or
    /// `connectError` event as documented on ``client`` and ``server``.
    mutating func append(_ record: CaptureRecord) {
        switch record.event {
        case .open(let client, let server):
            self.client = client
            self.server = server
        case .connectError(let client, let server, _):
            self.client = client ?? self.client
            self.server = server
        default:
            break
        }
        records.append(record)
    }
}

/// One session as loaded back from a capture by ``CaptureReader``.
public struct CapturedSession: Sendable, Equatable {
    /// The session's id.
    public var id: Int
    /// The client, from the session's last `open` event; `nil` if the capture has none.
    public var client: CaptureAddress?
    /// The server, from the last `open` or `connectError` event; `nil` if the capture has none.
    public var server: CaptureAddress?
    /// The session's records, in the order they were written.
    public var records: [CaptureRecord]

    /// Makes a session from its parts.
    public init(id: Int, client: CaptureAddress?, server: CaptureAddress?, records: [CaptureRecord]) {
        self.id = id
        self.client = client
        self.server = server
        self.records = records
    }
}

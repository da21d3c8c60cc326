/// One event of one session, with the time it happened.
public struct CaptureRecord: Sendable, Equatable {
    /// The session's id (the inspector numbers sessions 1, 2, 3…).
    public var session: Int
    /// Nanoseconds since the Unix epoch; a capture keeps it exactly.
    public var timestamp: UInt64
    /// What happened.
    public var event: CaptureEvent

    /// Makes a record of `event` in `session` at `timestamp` (nanoseconds since the epoch).
    public init(session: Int, timestamp: UInt64, event: CaptureEvent) {
        self.session = session
        self.timestamp = timestamp
        self.event = event
    }
}

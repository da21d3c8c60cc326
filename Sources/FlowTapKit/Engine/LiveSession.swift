/// What the ``SessionRegistry`` of an ``Inspector`` holds for a session once it has connected:
/// the ``Session`` the UI's commands reach, and the reset of both its sockets, which works until
/// they are closed (also while the session, its proxy ended, waits for its peers to close).
public struct LiveSession: Sendable {
    /// The session.
    public let session: Session
    /// Resets the client's and the target's socket.
    let reset: @Sendable () async -> Void
}

import FlowEvents

/// What the user sees of one session at one moment.
public struct SessionSnapshot: Sendable, Identifiable {
    /// The session number, from 1.
    public var id: Int
    /// The client's address: `"127.0.0.1:53422"`, a Unix path.
    public var client: String
    /// The target's address.
    public var target: String
    /// When the client was accepted, in nanoseconds since the Unix epoch.
    public var opened: UInt64
    /// When the session ended, or `nil` while it runs.
    public var closed: UInt64?
    /// Why the connection to the target failed, if it did.
    public var connectError: String?
    /// Client → server.
    public var c2s = DirectionSnapshot()
    /// Server → client.
    public var s2c = DirectionSnapshot()
    /// The decoder's name (`resp`, `http`, `none`, …) once the session's `decoder` event came;
    /// `nil` before (and in captures without one).
    public var decoder: String?
    /// The decoded messages kept, oldest first (only for the sessions a snapshot was asked
    /// for, see ``InspectorModel/snapshot(historyFor:)``; empty for the others). Each
    /// direction's ``DirectionSnapshot/messages`` counts all of them.
    public var messages = MessageList(limit: 0)
    /// The session's finished TLS handshakes (`tls` events), client side then server side;
    /// empty for a session without TLS.
    public var tls: [TLSSummary] = []
    /// The last `tls_error` of an open session (a peer ended without `close_notify`).
    public var tlsNotice: String?

    /// The handshake of `side`, if the session has one.
    public func tls(_ side: TLSSummary.Side) -> TLSSummary? { tls.first { $0.side == side } }

    /// A new session with both directions open.
    public init(id: Int, client: String, target: String, opened: UInt64) {
        self.id = id
        self.client = client
        self.target = target
        self.opened = opened
    }

    /// The direction asked for.
    public subscript(direction: Direction) -> DirectionSnapshot {
        get { direction == .c2s ? c2s : s2c }
        set {
            if direction == .c2s { c2s = newValue } else { s2c = newValue }
        }
    }
}

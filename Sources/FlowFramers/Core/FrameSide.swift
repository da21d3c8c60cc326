/// Which peer wrote a byte stream that a ``FrameConversation`` decodes.
///
/// The client is the peer that opened the connection (flowtap's `c2s` direction carries its
/// bytes); the server is the target (`s2c`). FlowFramers does not import the event model, so a
/// caller maps its own direction type onto this one.
public enum FrameSide: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The connecting peer: its bytes are requests in the client/server protocols.
    case client
    /// The peer connected to: its bytes are replies in the client/server protocols.
    case server

    /// The other peer.
    public var other: FrameSide { self == .client ? .server : .client }

    /// `client` or `server`.
    public var description: String { self == .client ? "client" : "server" }
}

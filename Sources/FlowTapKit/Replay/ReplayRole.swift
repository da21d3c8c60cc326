import FlowEvents

/// Which side of a captured session a replay plays.
public enum ReplayRole: String, Sendable, Equatable {
    /// Connect to a live server and send the client's side (`c2s`); the server's answers (`s2c`)
    /// are compared with the captured ones.
    case client
    /// Accept clients and send the server's side (`s2c`) to each (a stub server); the client's
    /// bytes (`c2s`) are compared with the captured ones.
    case server

    /// The direction this role sends: `c2s` for the client, `s2c` for the server.
    public var sends: Direction { self == .client ? .c2s : .s2c }
    /// The direction this role receives and compares.
    public var receives: Direction { sends.reversed }
}

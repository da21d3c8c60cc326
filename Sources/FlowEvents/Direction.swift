/// The direction of a proxied byte stream.
///
/// `c2s` is read from the client and written to the server (the target); `s2c` the reverse.
/// The raw values (`"c2s"`, `"s2c"`) are the names used in JSON events and capture records.
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable {
    /// Client to server: read from the client, written to the target.
    case c2s
    /// Server to client: read from the target, written to the client.
    case s2c

    /// The other direction.
    public var reversed: Direction { self == .c2s ? .s2c : .c2s }

    /// `"client → server"` or `"server → client"` (with `ascii`: `"client -> server"`).
    public func title(ascii: Bool = false) -> String {
        let arrow = ascii ? "->" : "→"
        return self == .c2s ? "client \(arrow) server" : "server \(arrow) client"
    }
}

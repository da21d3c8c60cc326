/// The direction of a proxied byte stream.
///
/// `c2s` is read from the client and written to the server (the target); `s2c` the reverse.
/// The raw values (`"c2s"`, `"s2c"`) are the names used in event payloads and JSON output.
public enum CaptureDirection: String, Sendable, Equatable, CaseIterable {
    /// Client to server: read from the client, written to the target.
    case c2s
    /// Server to client: read from the target, written to the client.
    case s2c

    /// The other direction.
    public var reversed: CaptureDirection { self == .c2s ? .s2c : .c2s }
}

/// Where a direction of a session stands, in the words the user sees:
/// `open` → `EOF` (its source sent FIN) → `shut` (the FIN was passed on) → `closed`
/// (the session ended), or an error.
public enum DirectionPhase: Sendable, Equatable {
    /// Bytes may still come.
    case open
    /// The source sent FIN; it has not been passed on yet.
    case eof
    /// The FIN was passed on to the destination (shutdownWrite).
    case shut
    /// The session has ended.
    case closed
    /// Reading the source failed.
    case readError(String)
    /// Writing the destination failed.
    case writeError(String)

    /// `"open"`, `"EOF"`, `"shut"`, `"closed"`, `"read error: …"`, `"write error: …"`.
    public var word: String {
        switch self {
        case .open: "open"
        case .eof: "EOF"
        case .shut: "shut"
        case .closed: "closed"
        case .readError(let e): "read error: \(e)"
        case .writeError(let e): "write error: \(e)"
        }
    }

    /// True for the two error phases.
    public var isError: Bool {
        switch self {
        case .readError, .writeError: true
        default: false
        }
    }
}

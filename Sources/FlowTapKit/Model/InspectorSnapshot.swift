/// Everything the UI draws, taken at one moment from the ``InspectorModel``.
public struct InspectorSnapshot: Sendable {
    /// Grows with every change; equal versions mean nothing changed.
    public var version = 0
    /// Where the inspector listens (the real port), once bound; `nil` offline (`view`).
    public var listenAddress: String?
    /// Where sessions are forwarded to, or the capture file's name offline.
    public var target = ""
    /// The capture being written, if any.
    public var capturePath: String?
    /// The first capture failure, if any (forwarding went on).
    public var captureError: String?
    /// A line the engine wants the user to read, shown in the title (e.g. a replay's result);
    /// `nil` when none.
    public var notice: String?
    /// True when ``notice`` reports a failure (drawn as an error).
    public var noticeIsError = false
    /// The byte the notice is about, if any (the UI's `n` shows it when there is no search).
    public var mark: ByteMark?
    /// Every session, oldest first.
    public var sessions: [SessionSnapshot] = []

    /// An empty snapshot.
    public init() {}
}

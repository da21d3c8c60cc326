import NIOCore

/// What happened in a session, as recorded in a capture.
///
/// Data and the TCP-visible events (open, shutdown, errors) are written as synthesized TCP
/// packets; every event also travels on the capture's event interface, so a ``CaptureReader``
/// gives back exactly the events that were written — except that error and note texts longer
/// than 32 KiB (UTF-8) and addresses longer than 4 KiB are cut and end in "…", so that
/// Wireshark can still open the capture.
public enum CaptureEvent: Sendable, Equatable {
    /// The session started: the client connected and the connection to the server succeeded.
    case open(client: CaptureAddress, server: CaptureAddress)
    /// The connection to the server failed; such a session has no TCP packets. `client` is the
    /// client that was accepted, when known.
    case connectError(client: CaptureAddress?, server: CaptureAddress, error: String)
    /// One chunk, exactly as read from the direction's source (may be empty).
    case data(CaptureDirection, ByteBuffer)
    /// The direction's source sent FIN or ended.
    case eof(CaptureDirection)
    /// The FIN was passed on to the direction's destination (written as a TCP FIN).
    case shutdown(CaptureDirection)
    /// Reading from the direction's source failed (written as a TCP RST from the source).
    case readError(CaptureDirection, String)
    /// Writing to the direction's destination failed (written as a TCP RST from the destination).
    case writeError(CaptureDirection, String)
    /// The user paused the direction.
    case pause(CaptureDirection)
    /// The user resumed the direction.
    case resume(CaptureDirection)
    /// The user let one held chunk through.
    case step(CaptureDirection)
    /// Any other remark about the session.
    case note(String)
    /// The session ended.
    case close
}

import FlowEvents
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
    case open(client: PeerAddress, server: PeerAddress)
    /// The connection to the server failed; such a session has no TCP packets. `client` is the
    /// client that was accepted, when known.
    case connectError(client: PeerAddress?, server: PeerAddress, error: String)
    /// One chunk, exactly as read from the direction's source (may be empty).
    case data(Direction, ByteBuffer)
    /// The direction's source sent FIN or ended.
    case eof(Direction)
    /// The FIN was passed on to the direction's destination (written as a TCP FIN).
    case shutdown(Direction)
    /// Reading from the direction's source failed (written as a TCP RST from the source).
    case readError(Direction, String)
    /// Writing to the direction's destination failed (written as a TCP RST from the destination).
    case writeError(Direction, String)
    /// The user paused the direction.
    case pause(Direction)
    /// The user resumed the direction.
    case resume(Direction)
    /// The user let one held chunk through.
    case step(Direction)
    /// Any other remark about the session.
    case note(String)
    /// The session ended.
    case close
}

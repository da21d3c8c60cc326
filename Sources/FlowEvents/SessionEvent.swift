import FlowCore
import NIOCore

/// Something that happened in a session or at the listener: the one event model of flowtap.
///
/// The taps, the gates and the accept loop report these; the UI model, the headless event log
/// (JSON Lines, text), the capture writer and `flowtap view` all read the same values, and the
/// JSON Lines log and the capture's event records share one schema (see `SessionEvent+Codable`),
/// so an event read back from a capture is the event that was written.
public struct SessionEvent: Sendable, Equatable {
    /// The session it belongs to (`"conn"`, numbered from 1), or `nil` for the listener's own
    /// events.
    public var conn: Int?
    /// When it happened: nanoseconds since the Unix epoch (`"t"`, printed in seconds).
    public var time: UInt64
    /// What happened.
    public var kind: Kind
    /// On `open` and `connect_error` of a proxy listener's session (`socks5-listen:`,
    /// `http-proxy-listen:`): the host name the client's handshake named (`"target_name"`),
    /// when it named one rather than an IP address; `nil` otherwise.
    public var targetName: String?
    /// On `tls_error`: the session's client (`"client"`, and `"client_unix"` for a Unix socket
    /// path), when known; a failed handshake's `tls_error` is the only event its session has.
    /// `nil` otherwise (the other events that name the client carry it in their kind).
    public var clientAddress: PeerAddress?

    /// The largest count or offset decoding accepts: 2^53, the integers a JSON number holds
    /// exactly. Larger values in a file are refused, so readers' sums cannot overflow.
    public static let maximumCount = 1 << 53
    /// The largest session number decoding accepts (`Int32.max`).
    public static let maximumConn = Int(Int32.max)

    /// What happened; the JSON names of DESIGN.md §6 are given for each case.
    public enum Kind: Sendable, Equatable {
        /// `listening`: the listener is bound; `address` has the real port.
        case listening(address: String)
        /// `open`: a client connected and the connection to the target succeeded.
        case open(client: PeerAddress, target: PeerAddress)
        /// `connect_error`: the connection to the target failed; the client was closed.
        case connectError(client: PeerAddress, target: PeerAddress, error: String)
        /// `data`: a chunk passed on to the direction's destination (as read, edited, or
        /// injected), at byte `offset` of what the destination was sent; reported just before it
        /// is written, in the order written.
        case data(Direction, offset: Int, bytes: ByteBuffer)
        /// `eof`: the direction's source sent FIN (or ended).
        case eof(Direction)
        /// `shutdown`: the FIN was passed on to the direction's destination.
        case shutdown(Direction)
        /// `read_error`: reading the direction's source failed.
        case readError(Direction, String)
        /// `write_error`: writing the direction's destination failed.
        case writeError(Direction, String)
        /// `pause`: the user paused the direction.
        case pause(Direction)
        /// `resume`: the user resumed the direction.
        case resume(Direction)
        /// `step`: the user let one chunk of a paused direction through.
        case step(Direction)
        /// `fault`: a fault was applied to the direction (`"latency=200ms"`, in `--fault`'s
        /// form), or removed from it (the same text after a `-`: `"-latency=200ms"`).
        case fault(Direction, String)
        /// Not printed in JSON: the gate of a paused direction now holds this chunk, read and
        /// not delivered (`nil`: it holds nothing any more: the chunk went on, was replaced, or
        /// was dropped).
        case held(Direction, HeldChunk?)
        /// `edit`: the user replaced a held chunk: the original had `originalBytes` bytes with
        /// SHA-256 `originalSHA256` (hex), `bytes` bytes were sent instead. Reported just before
        /// the `data` of the bytes sent (nothing else of the direction comes between); `original`
        /// holds the original's bytes when known (captures keep them, as `original_hex`).
        case edit(Direction, originalBytes: Int, originalSHA256: String, bytes: Int, original: ByteBuffer?)
        /// `drop`: the user dropped a held chunk of `bytes` bytes with SHA-256 `sha256` (hex); it
        /// was never sent. `original` holds its bytes when known.
        case drop(Direction, bytes: Int, sha256: String, original: ByteBuffer?)
        /// `inject`: the user typed `bytes` bytes into the direction; they were written to its
        /// destination between two chunks. Reported just before their `data`.
        case inject(Direction, bytes: Int)
        /// `rewrite`: `--rewrite` rules changed a chunk read from the direction's source
        /// (`count` substitutions) before it was reported and forwarded: the original had
        /// `originalBytes` bytes with SHA-256 `originalSHA256` (hex), the chunk sent has `bytes`.
        /// Reported just before that chunk's `data`.
        case rewrite(Direction, count: Int, originalBytes: Int, bytes: Int, originalSHA256: String)
        /// `capture_error`: the capture file could not be written; forwarding goes on.
        case captureError(String)
        /// `accept_error` (field `error`): accepting a client failed (e.g. too many open files);
        /// the listener backs off and goes on accepting.
        case acceptError(String)
        /// `accept_paused` (fields `sessions`, `limit`): `sessions` sessions are live, the cap is
        /// `limit`: no client is accepted until one ends (new clients wait in the kernel's backlog).
        case acceptPaused(sessions: Int, limit: Int)
        /// `accept_resumed` (field `sessions`): a session ended below the cap; accepting goes on
        /// with `sessions` live.
        case acceptResumed(sessions: Int)
        /// `close`: the session ended, with the statistics of each direction: what was really
        /// read from each source and written to each destination.
        case close(c2s: Stats, s2c: Stats)
        /// `gap`: the bytes of the direction from offset `from` up to (not including) `to` are not
        /// in this record of the session (cut from the middle to keep memory bounded, or never
        /// captured); the next `data` of the direction starts at `to`.
        case gap(Direction, from: Int, to: Int)
        /// `note`: a remark with no structure of its own (a gap in a foreign capture's TCP
        /// stream, a note of an older capture format, the end of headless control's stdin).
        case note(String)
        /// `control_error` (fields `error`, `line`): a headless control command (a JSON line on
        /// stdin) was refused: bad JSON, an unknown command or field, an unknown session, a
        /// direction that does not fit, a line over the bound, or a command the session could
        /// not carry out. `line` is the command's line number on stdin, from 1. The command
        /// changed nothing; the commands after it are still read.
        case controlError(String, line: Int)
        /// `decoder` (field `proto`): the session's decoder is known: the one `--decode` named,
        /// or what `auto` chose from the first bytes (`none` when nothing fitted). Reported
        /// once per session, before its first `message`.
        case decoder(String)
        /// `message`: the decoder found a whole message in the direction (see
        /// ``DecodedMessage``); reported after the `data` of its last piece (a dropped
        /// message's after its `drop`).
        case message(Direction, DecodedMessage)
        /// `decode_error` (fields `proto`, `offset`, `error`): the decoder could not parse the
        /// direction at byte `offset`; the rest of the direction goes on undecoded (raw), byte
        /// for byte. Reported at most once per direction.
        case decodeError(Direction, proto: String, offset: Int, error: String)
        /// `breakpoints` (field `breakpoints`, a list of `[DIR:]REGEX` texts): the breakpoints
        /// in force in every session changed (a headless `break` command); the list is the whole
        /// set afterwards, in the order the breakpoints were added.
        case breakpoints([String])
        /// `handshake_error` (fields `client`, `error`): the client of a proxy listener
        /// (`socks5-listen:`, `http-proxy-listen:`) sent a malformed or refused handshake, or
        /// none within the time limit; it was answered with the protocol's error and closed.
        /// No session data exists; nothing follows for this `conn`.
        case handshakeError(client: PeerAddress, error: String)
        /// `tls` (fields `side`, `version`, `cipher`, `sni`, `alpn`, and on the server side
        /// `verified`, `subject`, `issuer`, `expiry`): a TLS handshake of the session finished
        /// (see ``TLSSummary``). Reported before `open`.
        case tls(TLSSummary)
        /// `tls_error` (fields `side`, `error`, and `client` when known: ``SessionEvent/clientAddress``): a TLS handshake failed (then the session never
        /// opens, and the other peer is reset), or a peer ended TCP without `close_notify`
        /// (a possible truncation, passed on as a bare FIN). `error` says what to do about it.
        case tlsError(side: TLSSummary.Side, error: String)
    }

    /// An event of session `conn` (or of the listener, `nil`), stamped `time` (the current
    /// wall-clock time unless given).
    public init(conn: Int?, _ kind: Kind, time: UInt64 = WallClock.nanoseconds()) {
        self.conn = conn
        self.time = time
        self.kind = kind
    }
}

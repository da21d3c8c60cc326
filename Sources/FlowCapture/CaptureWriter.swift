import FlowEvents
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes sessions to a pcapng capture as they happen, block by block.
///
/// The file has one Section Header Block, interface 0 (link type 101, raw IPv4/IPv6, named
/// `flowtap`, nanosecond timestamps) for the synthesized TCP packets, and interface 1 (link type
/// 252, Wireshark's "upper PDU export", named `flowtap-events`) for the events: each event is a
/// packet whose payload is one line of versioned JSON, tagged for Wireshark's JSON dissector (so
/// it is shown as a JSON tree and can be filtered, e.g. `json.value.string == "write_error"`),
/// decoded by ``CaptureReader``, and whose comment (`frame.comment`) says it in words.
/// Each session is a TCP conversation between the client and the server (see ``PeerAddress``):
/// handshake at `open`, data segments (at most 65495 bytes each, PSH on the last segment of
/// every chunk), FIN at `shutdown`, RST at a read or write error.
///
/// Thread-safe: records from many sessions may be written at once; each record's blocks are
/// written together with `write(2)` before ``write(_:)`` returns, so a crash keeps every whole
/// block and a slow disk pushes back on the callers. Writing to a pipe whose reader has gone
/// raises `SIGPIPE` unless the process ignores it (SwiftNIO does, process-wide).
public final class CaptureWriter: Sendable {
    private struct State: ~Copyable {
        var descriptor: Int32
        var failure: CaptureError?
        var closed = false
        var sessions: [Int: TCPConversation] = [:]

        deinit {
            if !closed { _ = posixClose(descriptor) }
        }
    }

    /// The capture's path, as given to ``init(path:)``.
    public let path: String
    private let state: Mutex<State>

    /// Creates (or truncates) the capture at `path` with mode 0600 and writes the section and
    /// interface headers.
    ///
    /// An existing regular file is truncated and its mode set to 0600 too, whatever the umask;
    /// special files (`/dev/stdout`, a FIFO) are written as they are. With `replacing` false an
    /// existing file is left alone and the error is `.cannotCreate` with `errno` `EEXIST`
    /// ("file exists"), decided atomically by the system (`O_EXCL`).
    /// - Throws: ``CaptureError`` `.cannotCreate` when the file cannot be opened (the reason is
    ///   the system's, e.g. "no such file or directory", "permission denied"), `.cannotWrite`
    ///   when the headers cannot be written.
    public init(path: String, replacing: Bool = true) throws(CaptureError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (replacing ? O_TRUNC : O_EXCL), 0o600)
        guard fd >= 0 else { throw .system(.cannotCreate, path: path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && fchmod(fd, 0o600) != 0 {
            let code = errno
            _ = posixClose(fd)
            throw .system(.cannotCreate, path: path, errno: code)
        }
        var header = PcapngBuilder()
        header.sectionHeader(application: "flowtap")
        header.interface(linkType: PcapngBuilder.linkTypeRaw, name: "flowtap")
        header.interface(linkType: PcapngBuilder.linkTypeUpperPDU, name: PcapngBuilder.eventInterfaceName)
        if let code = Self.writeAll(fd, header.bytes) {
            _ = posixClose(fd)
            throw .system(.cannotWrite, path: path, errno: code)
        }
        state = Mutex(State(descriptor: fd))
    }

    /// Writes the packets of one event of a session before returning: `data` as TCP segments,
    /// every other event as a record on the event interface (with a TCP handshake, FIN or RST
    /// where TCP can say it). Events of no session (`listening`) and `held` write nothing.
    ///
    /// - Throws: ``CaptureError`` `.cannotWrite` when `write(2)` fails (e.g. "no space left on
    ///   device"); the writer then stays failed and every later call throws the same error at
    ///   once, without touching the file. `.closed` after ``close()``.
    public func write(_ event: SessionEvent) throws(CaptureError) {
        try write(CollectionOfOne(event))
    }

    /// Writes the packets of several events with one `write(2)`, in order (see ``write(_:)``).
    /// The blocks of a batch are whole on disk or, when the write fails, the failure is thrown.
    public func write(_ events: some Collection<SessionEvent>) throws(CaptureError) {
        try state.withLock { (state: inout State) throws(CaptureError) in
            try check(state)
            var out = PcapngBuilder()
            // One allocation for the batch: its payloads plus the blocks and headers around them
            // (growing the array chunk by chunk copied everything already built, each time).
            var size = 0
            for event in events {
                if case .data(_, _, let bytes) = event.kind {
                    size += bytes.readableBytes + 128 * (bytes.readableBytes / TCPConversation.maxSegment + 2)
                } else {
                    size += 512
                }
            }
            out.bytes.reserveCapacity(size)
            for event in events {
                guard let id = event.conn else { continue }
                Self.encode(event, session: id, sessions: &state.sessions, into: &out)
            }
            guard !out.bytes.isEmpty else { return }
            if let code = Self.writeAll(state.descriptor, out.bytes) {
                let error = CaptureError.system(.cannotWrite, path: path, errno: code)
                state.failure = error
                throw error
            }
        }
    }

    /// Asks the system to put what was written on the disk (`fsync`; a no-op for special files).
    ///
    /// - Throws: ``CaptureError`` as ``write(_:)`` does, or when `fsync` fails.
    public func flush() throws(CaptureError) {
        try state.withLock { (state: inout State) throws(CaptureError) in
            try check(state)
            if fsync(state.descriptor) != 0 && errno != EINVAL && errno != EROFS {
                let error = CaptureError.system(.cannotWrite, path: path, errno: errno)
                state.failure = error
                throw error
            }
        }
    }

    /// Closes the file. Everything was written already; call ``flush()`` first to wait for the
    /// disk. Closing twice does nothing; a writer that failed earlier closes without rethrowing.
    ///
    /// - Throws: ``CaptureError`` `.cannotWrite` when `close(2)` reports an error.
    public func close() throws(CaptureError) {
        try state.withLock { (state: inout State) throws(CaptureError) in
            guard !state.closed else { return }
            state.closed = true
            state.sessions = [:]
            if posixClose(state.descriptor) != 0 && state.failure == nil {
                throw .system(.cannotWrite, path: path, errno: errno)
            }
        }
    }

    /// Runs `body` with the file descriptor (tests use it to inject faults).
    func withDescriptor(_ body: (Int32) -> Void) {
        state.withLock { body($0.descriptor) }
    }

    private func check(_ state: borrowing State) throws(CaptureError) {
        if let failure = state.failure { throw failure }
        if state.closed { throw CaptureError(.closed, path: path, reason: "the capture is closed") }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { DescriptorOutput.writeAll(fd, $0) }
    }
}

private func posixClose(_ fd: Int32) -> Int32 { close(fd) }

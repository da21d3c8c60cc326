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
/// written together before ``write(_:)`` returns (with direct I/O where the file system does it,
/// see ``DirectAppender``, else with `write(2)`), so a crash keeps every whole block and a slow
/// disk pushes back on the callers; a write that fails or falls short cuts
/// the file back to its last whole block, so the file on disk is always a valid capture. A
/// process that sets a file size limit (`ulimit -f`) must ignore `SIGXFSZ` to get `EFBIG`
/// instead of being killed.
public final class CaptureWriter: Sendable {
    private struct State: ~Copyable {
        var descriptor: Int32
        var failure: CaptureError?
        var closed = false
        var sessions: [Int: TCPConversation] = [:]
        /// The bytes of whole blocks in the file: where a failed write is cut back to.
        var written: Int
        /// Direct I/O, where the file system does it (see ``DirectAppender``); `nil`: `write(2)`.
        var direct: DirectAppender?

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
    /// The file must be a regular file or not exist: the path's last component is never
    /// followed if it is a symbolic link (`O_NOFOLLOW`), and anything that is not a regular
    /// file (a FIFO, a device such as `/dev/stdout`, a socket) is refused before it is written
    /// to or truncated; a FIFO without a reader is refused at once instead of blocking the
    /// open (`O_NONBLOCK`). An existing regular file is truncated and its mode set to 0600,
    /// whatever the umask. With `replacing` false an existing file is left alone and the error
    /// is `.cannotCreate` with `errno` `EEXIST` ("file exists"), decided atomically by the
    /// system (`O_EXCL`).
    /// - Throws: ``CaptureError`` `.cannotCreate` when the file cannot be opened (the reason is
    ///   the system's, e.g. "no such file or directory", "permission denied", or "is a symbolic
    ///   link (not followed)", "not a regular file (a FIFO)"), `.cannotWrite` when the headers
    ///   cannot be written (the file is then left empty).
    public init(path: String, replacing: Bool = true) throws(CaptureError) {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (replacing ? 0 : O_EXCL)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP {
                throw CaptureError(
                    .cannotCreate, path: path, reason: "is a symbolic link (not followed)", errno: code)
            }
            // Opening a FIFO without a reader for writing with O_NONBLOCK fails with ENXIO.
            if code == ENXIO {
                throw CaptureError(
                    .cannotCreate, path: path, reason: "not a regular file (a FIFO)", errno: code)
            }
            throw .system(.cannotCreate, path: path, errno: code)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = posixClose(fd)
            throw .system(.cannotCreate, path: path, errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = posixClose(fd)
            throw CaptureError(
                .cannotCreate, path: path, reason: "not a regular file (\(Self.kind(info.st_mode)))")
        }
        // Blocking writes from here on (a regular file ignores O_NONBLOCK, but say what is meant).
        let status = fcntl(fd, F_GETFL)
        if status < 0 || fcntl(fd, F_SETFL, status & ~O_NONBLOCK) != 0 || ftruncate(fd, 0) != 0
            || fchmod(fd, 0o600) != 0
        {
            let code = errno
            _ = posixClose(fd)
            throw .system(.cannotCreate, path: path, errno: code)
        }
        var header = PcapngBuilder()
        header.sectionHeader(application: "flowtap")
        header.interface(linkType: PcapngBuilder.linkTypeRaw, name: "flowtap")
        header.interface(linkType: PcapngBuilder.linkTypeUpperPDU, name: PcapngBuilder.eventInterfaceName)
        if let code = Self.writeAll(fd, header.bytes) {
            _ = ftruncate(fd, 0)
            _ = posixClose(fd)
            throw .system(.cannotWrite, path: path, errno: code)
        }
        var opened = State(descriptor: fd, written: header.bytes.count)
        opened.direct = DirectAppender(descriptor: fd, head: header.bytes)
        state = Mutex(opened)
    }

    /// What a file that is not a regular file is, in words.
    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }

    /// Writes the packets of one event of a session before returning: `data` as TCP segments,
    /// every other event as a record on the event interface (with a TCP handshake, FIN or RST
    /// where TCP can say it). Events of no session (`listening`) and `held` write nothing.
    ///
    /// - Throws: ``CaptureError`` `.cannotWrite` when `write(2)` fails or writes short (e.g. "no
    ///   space left on device", "file too large"): the file is cut back to its last whole block
    ///   (so it stays a valid capture of everything before; an event's packets may be kept in
    ///   part, e.g. the first segments of a chunk), the writer stays failed, and every
    ///   later call throws the same error at once, without touching the file. `.closed` after
    ///   ``close()``.
    public func write(_ event: SessionEvent) throws(CaptureError) {
        try write(CollectionOfOne(event))
    }

    /// Writes the packets of several events in order, in `write(2)` calls of about
    /// ``pieceSize`` bytes of whole blocks each (one call for a small batch; see ``write(_:)``).
    /// When a write fails, the blocks of the batch that reached the disk whole stay, the rest is
    /// cut off, and the failure is thrown.
    public func write(_ events: some Collection<SessionEvent>) throws(CaptureError) {
        try state.withLock { (state: inout State) throws(CaptureError) in
            try check(state)
            var out = PcapngBuilder()
            // One allocation for the batch (or for a piece, when the batch is larger): its
            // payloads plus the blocks and headers around them (growing the array chunk by
            // chunk copied everything already built, each time).
            var size = 0
            for event in events {
                if case .data(_, _, let bytes) = event.kind {
                    size += bytes.readableBytes + 128 * (bytes.readableBytes / TCPConversation.maxSegment + 2)
                } else {
                    size += 512
                }
            }
            out.bytes.reserveCapacity(min(size, Self.pieceSize + (256 << 10)))
            for event in events {
                guard let id = event.conn else { continue }
                Self.encode(event, session: id, sessions: &state.sessions, into: &out)
                if out.bytes.count >= Self.pieceSize { try writePiece(&out, &state) }
            }
            try writePiece(&out, &state)
        }
    }

    /// How much a `write(2)` of ``write(_:)`` carries at most, give or take a chunk: small enough
    /// that the bytes just built are still in the processor's cache when the kernel copies them
    /// (a batch of 8 MiB built, then written in one call, made the kernel's copy into the page
    /// cache read it back from memory).
    static let pieceSize = 1 << 20

    /// Writes what `out` holds and empties it (keeping its storage); on failure cuts the file
    /// back to its last whole block, marks the writer failed and throws.
    private func writePiece(_ out: inout PcapngBuilder, _ state: inout State) throws(CaptureError) {
        guard !out.bytes.isEmpty else { return }
        let (written, failure) = out.bytes.withUnsafeBytes { bytes in
            if state.direct != nil { return state.direct!.append(state.descriptor, bytes) }
            return DescriptorOutput.write(state.descriptor, bytes)
        }
        // After a failed direct write (made good or not by its buffered retry), `write(2)` only.
        if state.direct?.isRetired == true { state.direct = nil }
        if let code = failure {
            // Part of the piece may be on disk: keep its whole blocks, cut the rest off.
            let kept = Self.wholeBlocks(out.bytes, upTo: written)
            _ = ftruncate(state.descriptor, off_t(state.written + kept))
            let error = CaptureError.system(.cannotWrite, path: path, errno: code)
            state.failure = error
            throw error
        }
        state.written += out.bytes.count
        out.bytes.removeAll(keepingCapacity: true)
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

    /// The length of the whole blocks (little-endian pcapng, as ``PcapngBuilder`` writes) at
    /// the start of `blocks` that end within its first `count` bytes.
    static func wholeBlocks(_ blocks: [UInt8], upTo count: Int) -> Int {
        var end = 0
        while end + 8 <= blocks.count {
            let length =
                Int(blocks[end + 4]) | Int(blocks[end + 5]) << 8 | Int(blocks[end + 6]) << 16
                | Int(blocks[end + 7]) << 24
            guard length >= 12, end + length <= count else { break }
            end += length
        }
        return end
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { DescriptorOutput.writeAll(fd, $0) }
    }
}

private func posixClose(_ fd: Int32) -> Int32 { close(fd) }

import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file NSS key log lines are appended to (`--keylog FILE`, `SSLKEYLOGFILE`), for Wireshark
/// to decrypt a capture of the real wire. Opened once (created with mode 0600, appended to,
/// never through a symbolic link); each line is written whole with one `write`.
final class KeyLogFile: Sendable {
    /// The path given.
    let path: String
    private let descriptor: Mutex<Int32>

    /// Opens `path` for appending.
    /// - Throws: ``TLSSetupError`` with the system's reason.
    init(path: String) throws(TLSSetupError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TLSSetupError(
                file: path, problem: "cannot open the key log: \(ErrorText.reason(errno: errno))")
        }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    deinit {
        descriptor.withLock { fd in _ = systemClose(fd) }
    }

    /// Appends one line (NIOSSL's, which ends with a newline). A failed write is dropped: the
    /// key log is a debugging aid and must not stop traffic.
    func append(_ line: ByteBuffer) {
        descriptor.withLock { fd in
            line.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let count = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { return }
                    offset += count
                }
            }
        }
    }
}

#if canImport(Glibc)
    private let systemClose = Glibc.close
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    private let systemClose = Darwin.close
    private let systemWrite = Darwin.write
#endif

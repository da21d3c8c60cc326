#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads headless control commands from a file descriptor (standard input) on a thread of its
/// own, and hands them to a ``HeadlessControl``.
///
/// - The descriptor is read with blocking `read(2)` calls on a dedicated thread, never on a
///   SwiftNIO event loop or in Swift's cooperative pool; a descriptor left non-blocking by
///   whoever opened it is waited on with `poll(2)`. Its flags are never changed (a terminal
///   shared with the shell stays as it was).
/// - Lines are cut by a ``LineSplitter``: at most ``maximumLineBytes`` bytes are buffered; a
///   longer line is skipped and reported as `control_error`.
/// - At end-of-file, or when reading fails, ``HeadlessControl/inputEnded(_:)`` is called once
///   and the thread ends.
/// - Only what calls ``start(fd:control:)`` reads the descriptor: without `--pause`, flowtap
///   never does, so a backgrounded `flowtap … > log &` is never stopped by SIGTTIN. With it, a
///   terminal read from a background job stops flowtap (SIGTTIN, as for any program reading its
///   terminal) until it is brought to the foreground; give it a pipe or FIFO to run it in the
///   background.
public enum ControlInput {
    /// The longest command line kept: 1 MiB.
    public static let maximumLineBytes = 1 << 20

    /// Why `fd` cannot carry commands, or `nil` when it can: a pipe, a FIFO, a socket or a
    /// terminal can; a regular file, a directory, `/dev/null` or another device cannot (a
    /// file's commands would all run at once, before any session exists, and its end would
    /// resume everything at once).
    public static func refusal(fd: Int32) -> String? {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            return "it cannot be examined (\(String(cString: strerror(errno))))"
        }
        switch status.st_mode & S_IFMT {
        case S_IFIFO, S_IFSOCK: return nil
        case S_IFCHR: return isatty(fd) == 1 ? nil : "it is a device that is not a terminal (/dev/null?)"
        case S_IFREG: return "it is a regular file"
        case S_IFDIR: return "it is a directory"
        default: return "it is not a pipe, FIFO, socket or terminal"
        }
    }

    /// Starts the thread reading `fd` for `control`, with lines of at most `maximumLineBytes`.
    public static func start(fd: Int32, control: HeadlessControl, maximumLineBytes: Int = maximumLineBytes) {
        DetachedThread.start(name: "flowtap.control") {
            // Threads inherit the mask of their creator, and the runtime's worker threads block
            // SIGTTIN: reading the terminal from a background job would then fail with EIO
            // instead of stopping the job until `fg`, as any program reading its terminal does.
            var ttin = sigset_t()
            sigemptyset(&ttin)
            sigaddset(&ttin, SIGTTIN)
            pthread_sigmask(SIG_UNBLOCK, &ttin, nil)
            run(fd: fd, control: control, limit: maximumLineBytes)
        }
    }

    private static func run(fd: Int32, control: HeadlessControl, limit: Int) {
        var splitter = LineSplitter(limit: limit)
        let deliver: (LineSplitter.Piece) -> Void = { piece in
            switch piece {
            case .line(let bytes, let number): control.handle(line: bytes, number: number)
            case .tooLong(let number): control.lineTooLong(number: number, limit: limit)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                splitter.feed(buffer[0..<count], deliver)
                continue
            }
            if count == 0 {
                splitter.finish(deliver)
                control.inputEnded()
                return
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&waiting, 1, -1) < 0 && errno != EINTR {
                    control.inputEnded(String(cString: strerror(errno)))
                    return
                }
            default:
                let reason = String(cString: strerror(errno))
                splitter.finish(deliver)
                control.inputEnded(reason)
                return
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes to a file descriptor with `write(2)` until every byte is written, retrying on
/// `EINTR`: the capture file, and the headless output on stdout and stderr.
public enum DescriptorOutput {
    /// Writes all of `bytes` to `fd`. Returns `nil` once everything is written, else the errno of
    /// the failure (`EIO` when the descriptor took nothing); a failure may leave part written.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        write(fd, bytes).errno
    }

    /// Writes all of `bytes` to `fd` as ``writeAll(_:_:)-(_,UnsafeRawBufferPointer)`` does, and
    /// says how far it got: `written` is `bytes.count` when `errno` is `nil`, else the bytes
    /// written before the failure (a short write, e.g. at a file size limit, then `EFBIG`).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> (written: Int, errno: Int32?) {
        write(fd, bytes, at: nil)
    }

    /// Writes all of `bytes` to `fd` as ``write(_:_:)`` does, at file offset `offset` with
    /// `pwrite(2)` (the descriptor's own offset untouched), or with `write(2)` when `nil`.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int?) -> (
        written: Int, errno: Int32?
    ) {
        var done = 0
        while done < bytes.count {
            let start = bytes.baseAddress! + done
            let n =
                if let offset { pwrite(fd, start, bytes.count - done, off_t(offset + done)) } else {
                    posixWrite(fd, start, bytes.count - done)
                }
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return (done, n == 0 ? EIO : errno)
            }
        }
        return (done, nil)
    }

    /// Writes the UTF-8 of `text` to `fd`, as ``writeAll(_:_:)-(_,UnsafeRawBufferPointer)``.
    public static func writeAll(_ fd: Int32, _ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }
}

private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to the standard streams, safe to mix with the event log's own writes.
enum FileHandleOutput {
    static func stderr(_ text: String) { write(2, text) }
    static func stdout(_ text: String) { write(1, text) }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                done += n
            }
        }
    }
}

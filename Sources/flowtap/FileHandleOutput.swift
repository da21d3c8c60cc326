import FlowCapture

/// Unbuffered writes to the standard streams, safe to mix with the event log's own writes.
enum FileHandleOutput {
    static func stderr(_ text: String) { write(2, text) }
    static func stdout(_ text: String) { write(1, text) }

    /// Writes all of `text` (a failed write, e.g. a closed pipe, is not reported: there is
    /// nowhere left to report it).
    static func write(_ fd: Int32, _ text: String) { _ = DescriptorOutput.writeAll(fd, text) }
}

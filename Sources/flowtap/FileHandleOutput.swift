import FlowCapture
import FlowCore

/// Unbuffered writes to the standard streams, safe to mix with the event log's own writes.
enum FileHandleOutput {
    static func stderr(_ text: String) { write(2, text) }
    static func stdout(_ text: String) { write(1, text) }

    /// `flowtap: MESSAGE` and a newline on stderr, the message escaped for the terminal
    /// (``FlowCore/TerminalText``; the line feeds of a message of several lines are kept):
    /// messages quote arguments, paths, addresses and reasons read from files.
    static func message(_ text: String) { stderr("flowtap: " + TerminalText.escapeLines(text) + "\n") }

    /// Writes all of `text` (a failed write, e.g. a closed pipe, is not reported: there is
    /// nowhere left to report it).
    static func write(_ fd: Int32, _ text: String) { _ = DescriptorOutput.writeAll(fd, text) }
}

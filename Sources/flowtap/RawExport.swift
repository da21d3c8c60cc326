import FlowCapture
import FlowEvents

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `flowtap view FILE --raw --session N --dir DIR > out.bin`: one direction's bytes of one
/// session, as they were sent (the `data` events in order: edits as sent, dropped chunks
/// left out), written to stdout unchanged.
enum RawExport {
    /// Checks the options before the capture is read: `--session` and `--dir` are needed, the
    /// direction is `c2s` or `s2c`, and stdout is not a terminal (bytes would reach it as they
    /// are); each failure is a usage error.
    static func direction(session: Int?, dir: String?, stdoutIsTerminal: Bool) throws -> Direction {
        guard session != nil, let dir else {
            throw Failure.usage("--raw needs --session N and --dir c2s|s2c")
        }
        guard let direction = Direction(rawValue: dir) else {
            throw Failure.usage("--dir: \"\(dir)\" is not c2s or s2c")
        }
        guard !stdoutIsTerminal else {
            throw Failure.usage(
                "--raw writes the bytes as they are: redirect stdout to a file or a pipe (… --raw > out.bin)")
        }
        return direction
    }

    /// Writes the bytes of `direction` of session `id` to stdout; a session not in the capture
    /// is a usage error listing those there, a failed write a runtime error.
    static func write(_ sessions: [CapturedSession], session id: Int, _ direction: Direction, file: String)
        throws
    {
        guard let session = sessions.first(where: { $0.id == id }) else {
            let list = sessions.map { String($0.id) }.joined(separator: ", ")
            throw Failure.usage("no session \(id) in \(file) (sessions: \(list.isEmpty ? "none" : list))")
        }
        for event in session.events {
            guard case .data(let d, _, let bytes) = event.kind, d == direction else { continue }
            let failure = bytes.withUnsafeReadableBytes { DescriptorOutput.writeAll(1, $0) }
            if let failure {
                throw Failure.runtime("cannot write to stdout: \(String(cString: strerror(failure)))")
            }
        }
    }
}

import ArgumentParser
import FlowCapture
import FlowTapKit

#if canImport(Glibc)
    import Glibc
#endif

/// `flowtap view FILE`: a capture, offline.
struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Open a capture (flowtap's pcapng, or any pcap/pcapng with TCP) and show its sessions.",
        discussion: """
            Headless, it prints the events the live proxy printed, in the same formats:
              flowtap view s.pcapng --headless --json
            A capture cut in the middle of a block (a full disk, a crash) is read up to the cut, \
            with a warning on stderr. Devices and directories are refused; a pipe is read up to \
            1 GiB.

            Messages (--decode): with auto (the default), a session whose capture holds message \
            events shows them; any other session (a capture of an older flowtap, a foreign pcap) is \
            decoded from its bytes, the decoder chosen from its first bytes and the target's port. \
            A decoder named (http, resp, postgres, mqtt, lines, len:SPEC) decodes every session \
            again; none shows no messages.
              flowtap view s.pcapng --decode resp --json
            """
    )

    @Argument(help: "The capture file.")
    var file: String

    @Flag(help: "No curses UI: print the events (the default when stdout is not a terminal).")
    var headless = false

    @OptionGroup
    var bytes: PayloadOptions

    @Flag(help: "Events as JSON Lines.")
    var json = false

    @Option(help: ArgumentHelp(DecodeOption.help))
    var decode: String = "auto"

    @Flag(help: "Write one direction's bytes as sent (--session, --dir) to stdout, e.g. > out.bin.")
    var raw = false

    @Option(help: "With --raw: the session's number.")
    var session: Int?

    @Option(help: "With --raw: c2s or s2c.")
    var dir: String?

    func run() async throws {
        let payload = try bytes.forms()
        let spec = try DecodeOption.parse(decode)
        let rawDirection =
            raw ? try RawExport.direction(session: session, dir: dir, stdoutIsTerminal: isatty(1) == 1) : nil
        var sessions: [CapturedSession]
        // A capture cut short (a full disk, a crash) is shown up to the cut, with a warning.
        var warnings: [String] = []
        do {
            sessions = try CaptureReader.read(path: file) { warnings.append($0) }
        } catch {
            throw Failure.runtime(error.description)
        }
        if let rawDirection, let session {
            for warning in warnings { FileHandleOutput.message("warning: \(warning)") }
            return try RawExport.write(sessions, session: session, rawDirection, file: file)
        }
        sessions = CaptureDecoding.decoded(sessions, spec)
        if !headless && !json && payload.isEmpty && isatty(1) == 1 && isatty(0) == 1 {
            let model = InspectorSnapshot.model(from: sessions, name: file)
            if let warning = warnings.first { model.setNotice("warning: \(warning)", isError: true) }
            // `w` writes the capture's events again (a copy, or a foreign capture as flowtap's).
            let archive = SessionArchive(limit: Int.max)
            for event in CaptureReplay.events(sessions) { archive.record(event) }
            let outcome = await UserInterface.run(model: model, archive: archive, control: nil) {
            } stop: {
            }
            if case .failed(let message) = outcome {
                throw Failure.runtime("cannot open the terminal UI: \(message) (try --headless)")
            }
            return
        }
        for warning in warnings { FileHandleOutput.message("warning: \(warning)") }
        let log = EventLog(format: json ? .json : .text, payload: payload)
        for event in CaptureReplay.events(sessions) { log.record(event) }
    }
}

import ArgumentParser
import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import FlowTransport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `flowtap replay FILE TARGET`: plays a captured session again, against a live server or
/// (`--as-server`) to live clients, and compares the answers.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a captured session against a live server (or as a stub server) and compare.",
        discussion: """
            Client mode (default): connects to TARGET (tcp:… or unix:…), sends the captured client's \
            chunks one write each, passes its FIN on where it sent it, and compares everything the \
            server sends with what the captured server sent. Prints "replay: N bytes sent, M received, \
            answers match" and exits 0, or the first difference and exits 1.

            Comparison: when a decoder applies (--decode, auto by default: chosen from the captured \
            session's first bytes and the target's port), the server's reply messages are compared \
            with the captured ones, one by one (summary and bytes); the first difference is given by \
            message index and summary, with a hex diff of the two messages. --ignore REGEX \
            (repeatable) leaves out the replies whose summary, or whose request's summary, matches \
            (answers that change on every run: INFO, TIME, a Date header). With --decode none (or \
            when nothing fits) the bytes are compared, and the first difference is a hex diff. \
            Chunks edited or dropped in the proxy are compared as the peer really sent them: the \
            capture keeps their original bytes.

            --as-server: listens on TARGET (tcp-listen:… or unix-listen:…; the real address is printed \
            first) and plays the captured server's side to each client; the exit status is 0 (the \
            client's bytes are compared and the result printed, but a stub server is not judged).

            In a terminal (unless --headless, --json or -x), the curses UI shows the captured session \
            as #1 and the replay as #2, live, in the same panes (Up/Down switches between them); the \
            title gives the result when the replay ends, and q prints it as above.

            Timing: wait-reply (default) sends each step once the peer has sent at least as many bytes \
            (comparing messages: whole messages) as it had before that step in the capture (or ended), \
            waiting at most --reply-timeout; \
            original keeps the captured gaps between steps (each capped at 10 s); fast does not wait. \
            At the end the replay waits until the peer sends FIN, or stays silent for --quiet seconds \
            (--reply-timeout while it has sent fewer bytes than captured); a side that never sent FIN \
            in the capture sends it then.

            Examples:
              flowtap replay s.pcapng tcp:127.0.0.1:6379
              flowtap replay s.pcapng unix:/tmp/redis.sock --ignore '^INFO' --ignore '^TIME'
              flowtap replay s.pcapng tcp:127.0.0.1:6379 --session 2 --timing original -w again.pcapng
              flowtap replay s.pcapng tcp-listen:8080 --as-server --once
              flowtap replay s.pcapng --session 3      # to the target the session went to (e.g. through a proxy listener)
            """
    )

    @Argument(help: "The capture file (flowtap's pcapng, or any pcap/pcapng with TCP).")
    var file: String

    @Argument(
        help:
            "Where to connect (tcp:HOST:PORT, unix:PATH; default: the session's recorded target); with --as-server, where to listen."
    )
    var target: String?

    @Option(help: "The captured session to replay (default: the first with data).")
    var session: Int?

    @Option(help: "When to send each chunk: wait-reply, original or fast.")
    var timing: String = ReplayTiming.waitReply.rawValue

    @Option(help: "Seconds a wait-reply wait lasts at most.")
    var replyTimeout: Double = 5

    @Option(help: "Seconds of silence from a peer that sent all its captured bytes before the replay ends.")
    var quiet: Double = 1

    @Option(
        name: [.customShort("w"), .customLong("capture")],
        help: "Write a pcapng capture of the new session(s).")
    var capture: String?

    @Flag(help: "Events and the result as JSON Lines.")
    var json = false

    @OptionGroup
    var bytes: PayloadOptions

    @Flag(help: "No curses UI: print the events and the result (default when stdout is not a terminal).")
    var headless = false

    @Flag(help: "Listen on TARGET and play the server's side to each client (a stub server).")
    var asServer = false

    @Flag(help: "With --as-server: exit after the first client has been served.")
    var once = false

    @Option(help: ArgumentHelp(DecodeOption.help + " Compares messages unless none."))
    var decode: String = "auto"

    @Option(
        help: ArgumentHelp(
            "Leave out of the comparison the reply messages whose summary (or their request's) matches (repeatable).",
            valueName: "regex"))
    var ignore: [String] = []

    @OptionGroup(title: "TLS (a tls: target)")
    var tls: TLSOptionGroup

    func run() async throws {
        let payload = try bytes.forms()
        let spec = try DecodeOption.parse(decode)
        let ignored: ReplayIgnore
        do {
            ignored = try ReplayIgnore(ignore)
        } catch {
            throw Failure.usage(error.description)
        }
        if target == nil && asServer { throw Failure.usage("--as-server needs where to listen (TARGET)") }
        // TARGET is checked before the capture is read: a bad address is a usage error (exit 2).
        let given = try target.map { target in
            try AddressHint.amending {
                try ProxyCommand.address(target, role: "TARGET", listening: asServer)
            } hint: {
                AddressHint.replay(target: target, asServer: asServer)
            }
        }
        guard let timing = ReplayTiming(rawValue: timing) else {
            throw Failure.usage("--timing: \"\(timing)\" is not one of original, fast, wait-reply")
        }
        guard replyTimeout > 0, replyTimeout <= 3600, quiet >= 0, quiet <= 3600 else {
            throw Failure.usage("--reply-timeout and --quiet take seconds, from 0 (quiet) or 0.001 to 3600")
        }
        if once && !asServer { throw Failure.usage("--once goes with --as-server") }
        let sessions: [CapturedSession]
        do {
            sessions = try CaptureReader.read(path: file) { FileHandleOutput.message("warning: \($0)") }
        } catch {
            throw Failure.runtime(error.description)
        }
        let selected: CapturedSession
        do {
            selected = try ReplayScript.select(sessions, id: session)
        } catch {
            switch error {
            case .noSuchSession(let id, let available):
                let list = available.isEmpty ? "none" : available.map(String.init).joined(separator: ", ")
                throw Failure.usage("no session \(id) in \(file) (sessions: \(list))")
            case .noData:
                throw Failure.runtime("\(file): no session with data to replay")
            }
        }
        // Without TARGET, the session goes where it went when captured (a proxy listener's
        // sessions each had their own).
        let address: Address
        if let given {
            address = given
        } else {
            switch selected.server {
            case .ip(let host, let port)?: address = .tcp(host: host, port: port)
            case .unix(let path)? where !path.isEmpty: address = .unix(path: path)
            default: throw Failure.usage("session \(selected.id) of \(file) records no target: give TARGET")
            }
        }
        if case .tlsListen = address {
            throw Failure.usage(
                "replay --as-server listens with tcp-listen: or unix-listen: (not tls-listen:)")
        }
        let tlsEnvironment = try tls.environment(listen: nil, target: address)
        var options = Replayer.Options()
        options.timing = timing
        options.replyTimeout = .milliseconds(Int64(replyTimeout * 1000))
        options.quietPeriod = .milliseconds(Int64(quiet * 1000))
        options.decode = spec
        options.ignore = ignored
        options.tls = tlsEnvironment

        let script = ReplayScript(selected)
        // The curses UI when stdout and stdin are a terminal, unless a headless output is asked for.
        if !headless && !json && payload.isEmpty && !asServer && isatty(1) == 1 && isatty(0) == 1 {
            try await replayWithUI(
                script, CaptureDecoding.decoded(selected, spec), to: address, options: options)
            return
        }
        let (emit, captureObserver) = try sinks(EventLog(format: json ? .json : .text, payload: payload))
        let json = self.json
        let print: @Sendable (Replayer.Result) -> Void = { result in
            FileHandleOutput.stdout(json ? result.json() + "\n" : TerminalText.escapeLines(result.text))
        }
        defer { captureObserver?.close() }
        if asServer {
            let server: ReplayServer
            do {
                server = try await ReplayServer.bind(
                    listen: address, script: script, options: options, once: once, emit: emit, onResult: print
                )
            } catch {
                throw Failure.runtime(error.description)
            }
            let signals = TerminationSignals { Task { await server.stop() } }
            await server.run()
            signals.cancel()
            try Self.checkCapture(captureObserver)
            return
        }
        let result: Replayer.Result
        do {
            result = try await Replayer.replayClient(script, to: address, options: options, emit: emit)
        } catch {
            throw Failure.runtime(error.description)
        }
        print(result)
        try Self.checkCapture(captureObserver)
        if !result.matches {
            throw Failure(message: "replay: the answers differ from the capture", status: 1)
        }
    }

    /// Closes the `-w` capture; one that failed is a runtime failure (exit status 1).
    private static func checkCapture(_ observer: CaptureObserver?) throws {
        observer?.close()
        if let failure = observer?.failure {
            throw Failure.runtime("\(failure) (the capture holds the whole blocks before the failure)")
        }
    }

    /// Where the replay's events go: `first` (the printed log, or the UI's model), and with `-w`
    /// a capture whose failure is reported to `first` as `capture_error`.
    private func sinks(
        _ first: any InspectorObserver, _ others: any InspectorObserver...
    ) throws -> (emit: @Sendable (SessionEvent) -> Void, capture: CaptureObserver?) {
        var observers = [first] + others
        var captureObserver: CaptureObserver?
        if let capture {
            do {
                let observer = CaptureObserver(writer: try CaptureWriter(path: capture)) { error in
                    first.record(SessionEvent(conn: nil, .captureError(error.description)))
                }
                captureObserver = observer
                observers.append(observer)
            } catch {
                throw Failure.runtime(error.description)
            }
        }
        let all = observers
        return ({ event in for observer in all { observer.record(event) } }, captureObserver)
    }

    /// The replay in the curses UI: session #1 is the captured one, #2 the replay, live, so the
    /// two can be compared pane by pane (Up/Down switches); the title gives the result when the
    /// replay ends. After `q` the result is printed as headless and sets the exit status.
    private func replayWithUI(
        _ script: ReplayScript, _ selected: CapturedSession, to address: Address, options: Replayer.Options
    ) async throws {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let model = InspectorModel(
            target: "\(name) #\(selected.id) replayed to \(address)", capturePath: capture)
        // The captured session is #1, the replay #2.
        let pair = ComparedSessions(original: 1, replay: 2)
        // `w` writes both: the captured session as #1, the replay as #2.
        let archive = SessionArchive(limit: Int.max)
        for event in CaptureReplay.events([selected]) {
            let renumbered = SessionEvent(conn: pair.original, event.kind, time: event.time)
            model.record(renumbered)
            archive.record(renumbered)
        }
        let (emit, captureObserver) = try sinks(model, archive)
        model.setNotice("replaying (#1 the capture, #2 the replay)")
        let outcome = Mutex<Result<Replayer.Result, TransportError>?>(nil)
        let ui = await UserInterface.run(
            model: model, archive: archive, control: nil,
            options: TerminalUI.Options(compare: pair)
        ) {
            do throws(TransportError) {
                let result = try await Replayer.replayClient(
                    script, to: address, conn: pair.replay, options: options, emit: emit)
                outcome.withLock { $0 = .success(result) }
                let difference = result.messages?.difference
                let at = difference.map { d in
                    d.expected.map { "message #\($0.index) (\($0.summary))" } ?? d.got.map {
                        "message #\($0.index)"
                    }
                        ?? "the bytes after the last message"
                }
                model.setNotice(
                    at.map { "answers differ at \($0) (n shows it)" }
                        ?? result.firstDifference.map { "answers differ at byte \($0) (n shows it)" }
                        ?? "answers match",
                    isError: !result.matches,
                    mark: result.firstDifference.map {
                        ByteMark(session: pair.replay, direction: result.role.receives, offset: $0)
                    })
            } catch {
                outcome.withLock { $0 = .failure(error) }
                model.setNotice("replay failed: \(error.description)", isError: true)
            }
        } stop: {
        }
        try Self.checkCapture(captureObserver)
        if case .failed(let message) = ui {
            throw Failure.runtime("cannot open the terminal UI: \(message) (try --headless)")
        }
        switch outcome.withLock({ $0 }) {
        case .success(let result):
            FileHandleOutput.stdout(TerminalText.escapeLines(result.text))
            if !result.matches {
                throw Failure(message: "replay: the answers differ from the capture", status: 1)
            }
        case .failure(let error):
            throw Failure.runtime(error.description)
        case nil:
            throw Failure.runtime("replay: no result")
        }
    }
}

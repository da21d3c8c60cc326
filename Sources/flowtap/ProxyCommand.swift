import ArgumentParser
import FlowCapture
import FlowCore
import FlowEvents
import FlowFaults
import FlowFramers
import FlowTapKit
import FlowTapUI
import FlowTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `flowtap [proxy] LISTEN TARGET`: the live inspector.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Listen, forward every client to TARGET, and show what goes over each connection.",
        discussion: """
            Examples:
              flowtap tcp-listen:8080 tcp:127.0.0.1:80                 # curses UI
              flowtap tcp-listen:0 tcp:127.0.0.1:6379 --json | jq .    # JSON Lines events
              flowtap tcp-listen:7000 unix:/run/app.sock -x --once     # socat-style hex dumps
              flowtap tcp-listen:8080 tcp:127.0.0.1:80 -v              # socat -v style text
              flowtap tcp-listen:8080 tcp:example.test:80 -w s.pcapng  # and keep a capture
              flowtap tcp-listen:6380 tcp:127.0.0.1:6379 --fault s2c:latency=200ms --json
              flowtap tcp-listen:5201 tcp:127.0.0.1:5202 --fault both:bandwidth=1MiB/s
              flowtap tcp-listen:8080 tcp:127.0.0.1:80 --fault c2s:slice=1 --fault s2c:limit=1KiB
              flowtap socks5-listen:1080 --json          # ALL_PROXY=socks5h://127.0.0.1:1080 curl …
              flowtap http-proxy-listen:8080 --only '*.example.com'   # curl -x http://127.0.0.1:8080 …

            Faults (--fault DIR:KIND[=VALUE], repeatable; DIR is c2s, s2c or both; each acts on the \
            data going that way, in the order given):
              latency=200ms[~50ms]   delay every chunk (with jitter), throughput kept
              bandwidth=64KiB/s      at most that many bytes a second, smoothly
              slice=N[,delay=10ms]   cut chunks into pieces of N bytes (byte by byte with 1)
              limit=1MiB             pass that many bytes, then FIN; the rest is refused
              reset=10KiB|now        after that many bytes (now: the first), reset both sides
              slowclose=2s           hold a FIN back that long
              blackhole              deliver nothing, close nothing: the sender stalls

            Headless control (--pause without the UI): one JSON object a line on stdin, e.g.
              {"cmd":"step","conn":1,"dir":"c2s"}      pause, resume, step, fin (dir optional)
              {"cmd":"drop","conn":1,"dir":"c2s"}      drop / replace the held (or next) chunk
              {"cmd":"inject","conn":1,"dir":"s2c","text":"PONG\\r\\n"}   or "hex":"504f4e47"
              {"cmd":"fault","conn":1,"fault":"s2c:latency=200ms"}   -KIND=VALUE removes, clear
              {"cmd":"kill","conn":1}
            Each is answered by its events; a refused one by control_error. stdin must be a pipe, \
            FIFO, socket or terminal; at its end every session is resumed. Without --pause stdin \
            is never read.
            """
    )

    @Argument(
        help:
            "Where to listen: tcp-listen:[HOST:]PORT, unix-listen:PATH, tls-listen:[HOST:]PORT, or a proxy: socks5-listen:[HOST:]PORT, http-proxy-listen:[HOST:]PORT."
    )
    var listen: String

    @Argument(
        help:
            "Where to forward: tcp:HOST:PORT, unix:PATH or tls:HOST:PORT (none for a proxy listener: its clients say)."
    )
    var target: String?

    @Option(
        name: [.customShort("w"), .customLong("capture")], help: "Write a pcapng capture of every session.")
    var capture: String?

    @Flag(help: "No curses UI: one line per event on stdout (the default when stdout is not a terminal).")
    var headless = false

    @OptionGroup
    var bytes: PayloadOptions

    @Flag(help: "Headless: events as JSON Lines.")
    var json = false

    @Flag(help: "Exit after the first session has ended.")
    var once = false

    @Flag(
        help:
            "Start every session paused (intercept mode); headless, take commands as JSON Lines on stdin.")
    var pause = false

    @Option(help: "Bytes of history kept per direction for display, e.g. 16MiB, 512KiB.")
    var history: String = "16MiB"

    @Option(
        help: ArgumentHelp(
            "Replace FROM by TO in every chunk of DIR (c2s, s2c, both); repeatable.",
            discussion: RewriteOption.help, valueName: "DIR:FROM=TO"))
    var rewrite: [String] = []

    @Option(
        name: .customLong("fault"),
        help: ArgumentHelp(
            "Inject a fault into every session (repeatable), e.g. s2c:latency=200ms.",
            valueName: "DIR:KIND=VALUE"))
    var faults: [String] = []

    @Option(
        help: ArgumentHelp(
            "How to find messages: auto (from the first bytes and the target's port), none, http, resp, postgres, mqtt, lines, len:SPEC.",
            valueName: "DECODER"))
    var decode: String = "auto"

    @Option(
        name: .customLong("break"),
        help: ArgumentHelp(
            "Hold every message of DIR (c2s, s2c; both if omitted) whose summary matches REGEX, as a pause would (repeatable).",
            valueName: "[DIR:]REGEX"))
    var breaks: [String] = []

    @Option(
        name: .customLong("only"),
        help: ArgumentHelp(
            "Observe only sessions to HOST (a glob) and PORT (repeatable); the others pass through unseen.",
            valueName: "HOST[:PORT]"))
    var only: [String] = []

    @Flag(
        name: .customLong("intercept-tls"),
        help:
            "Proxy listeners: open TLS sessions (a ClientHello first) with a certificate minted for their SNI by flowtap's CA, and connect on with TLS; others pass untouched."
    )
    var interceptTLS = false

    @Option(
        name: .customLong("handshake-timeout"),
        help: ArgumentHelp(
            "Proxy listeners: seconds a client has to finish its SOCKS5 or HTTP proxy handshake (default 10).",
            valueName: "SECONDS"))
    var handshakeTimeout: String?

    @Option(
        name: .customLong("max-sessions"),
        help: ArgumentHelp(
            "At most N sessions at once (lowers the cap the descriptor limit gives); more clients wait.",
            valueName: "N"))
    var maxSessions: String?

    @OptionGroup(title: "TLS (tls-listen:, tls:)")
    var tls: TLSOptionGroup

    func run() async throws {
        let payload = try bytes.forms()
        let listenAddress = try AddressHint.amending {
            try Self.address(listen, role: "LISTEN", listening: true)
        } hint: {
            target.flatMap { AddressHint.proxy(listen: listen, target: $0) }
        }
        let targetAddress: Address?
        switch (listenAddress.proxyProtocol, target) {
        case (nil, let target?):
            targetAddress = try AddressHint.amending {
                try Self.address(target, role: "TARGET", listening: false)
            } hint: {
                AddressHint.proxy(listen: listen, target: target)
            }
        case (nil, nil):
            throw Failure.usage(
                "missing TARGET (tcp:HOST:PORT or unix:PATH); only a proxy listener goes without")
        case (_?, nil): targetAddress = nil
        case (_?, let target?):
            throw Failure.usage(
                "TARGET \"\(target)\" given to \(listen): a proxy listener takes each session's target from its client"
            )
        }
        var onlyPatterns: [TargetPattern] = []
        for text in only {
            do {
                onlyPatterns.append(try TargetPattern(parsing: text))
            } catch {
                throw Failure.usage("--only: \(error)")
            }
        }
        let historyLimit = try Self.byteCount(history, option: "--history")
        let sessionCap = try maxSessions.map { try Self.sessionCount($0) }
        let decoder = try DecodeOption.parse(decode)
        var breakpoints: [Breakpoint] = []
        for text in breaks {
            do {
                breakpoints.append(try Breakpoint(parsing: text))
            } catch {
                throw Failure.usage("--break: \(error)")
            }
        }
        var faultSpecs: [FaultSpec] = []
        for text in faults {
            do {
                faultSpecs.append(try FaultSpec.parse(text))
            } catch {
                throw Failure.usage("--fault \(error)")
            }
        }
        // The curses UI when stdout and stdin are a terminal, unless a headless output is asked for.
        let interactive = !headless && !json && payload.isEmpty && isatty(1) == 1 && isatty(0) == 1
        // Headless, held sessions are driven from stdin (commands as JSON Lines); it is read only
        // then (--pause, or --break: a breakpoint holds like a pause), so that a backgrounded
        // flowtap never stops on SIGTTIN.
        let takesCommands = !interactive && (pause || !breakpoints.isEmpty)
        if takesCommands, let reason = ControlInput.refusal(fd: 0) {
            throw Failure.usage(
                "\(pause ? "--pause" : "--break") without the UI reads commands from stdin, but \(reason); "
                    + "give it a pipe, FIFO or terminal (e.g. mkfifo ctl; flowtap … --pause < ctl)")
        }

        var observers: [any InspectorObserver] = []
        // The UI's model, only when the UI runs: headless, nothing would read it, and updating
        // it on every chunk cost the data path; a tally counts what the exit summary says.
        let model =
            interactive
            ? InspectorModel(
                target: targetAddress?.description
                    ?? "\(listenAddress.proxyProtocol?.rawValue ?? "") clients' targets",
                capturePath: capture, historyLimit: historyLimit)
            : nil
        let tally = SessionTally()
        observers.append(model ?? tally)
        // What `w` writes in the UI: every event, the bytes within the history's limits.
        let archive = SessionArchive(limit: historyLimit)
        if interactive { observers.append(archive) }
        // Printing and capture writing run on threads of their own, off the data path; their
        // bounded queues push back on the sessions (suspending them, never a thread) when stdout
        // or the disk is slow.
        var log: EventQueue?
        if !interactive {
            // Without -x the log prints sizes, not bytes: its queue keeps no chunk alive.
            log = EventQueue(
                EventLog(format: json ? .json : .text, payload: payload), name: "flowtap.log",
                keepsBytes: !payload.isEmpty)
        }
        var captureQueue: EventQueue?
        let errorSink = ErrorSink()
        var captureObserver: CaptureObserver?
        if let capture {
            do {
                let observer = CaptureObserver(writer: try CaptureWriter(path: capture)) { error in
                    errorSink.report(error.description)
                }
                captureObserver = observer
                captureQueue = EventQueue(observer, name: "flowtap.capture")
            } catch {
                throw Failure.runtime(error.description)
            }
        }
        observers += [log, captureQueue].compactMap { $0 } as [any InspectorObserver]
        var options = Inspector.Options()
        options.once = once
        options.pauseNewSessions = pause
        options.rewrites = try RewriteOption.rules(rewrite)
        options.faults = faultSpecs
        options.maxSessions = sessionCap
        options.decode = decoder
        options.breakpoints = breakpoints
        options.only = onlyPatterns
        if let handshakeTimeout {
            guard let seconds = Double(handshakeTimeout), seconds > 0, seconds <= 86_400 else {
                throw Failure.usage(
                    "--handshake-timeout: \"\(handshakeTimeout)\" is not a number of seconds (more than 0, at most 86400)"
                )
            }
            options.handshakeTimeLimit = .milliseconds(Int((seconds * 1000).rounded(.up)))
        }
        if interceptTLS && listenAddress.proxyProtocol == nil {
            throw Failure.usage(
                "--intercept-tls goes with a proxy listener (socks5-listen: or http-proxy-listen:); for one target use tls-listen: and tls:"
            )
        }
        options.interceptTLS = interceptTLS
        options.tls = try tls.environment(
            listen: listenAddress, target: targetAddress, intercepting: interceptTLS)
        let inspector: Inspector
        do {
            inspector = try await Inspector.bind(
                listen: listenAddress, target: targetAddress, options: options, observers: observers)
        } catch {
            throw Failure.runtime(error.description)
        }
        errorSink.inspector = inspector
        if takesCommands {
            ControlInput.start(fd: 0, control: HeadlessControl(inspector: inspector))
        }
        if let model {
            let outcome = await UserInterface.run(model: model, archive: archive, control: inspector.control)
            {
                await inspector.run()
            } stop: {
                await inspector.stop()
            }
            if case .failed(let message) = outcome {
                throw Failure.runtime("cannot open the terminal UI: \(message) (try --headless)")
            }
        } else {
            let signals = TerminationSignals { Task { await inspector.stop() } }
            await inspector.run()
            signals.cancel()
        }
        // The capture is written to the end; a log nobody reads (a stalled pipe) is given up on
        // after a while, so that SIGTERM still ends flowtap with the capture flushed.
        await captureQueue?.finish()
        captureObserver?.close()
        await log?.finish(waitingAtMost: .seconds(2))
        let summary =
            model.map { Summary.line($0.snapshot(historyFor: [])) }
            ?? Summary.line(tally.totals, capturePath: capture)
        FileHandleOutput.stderr(summary + "\n")
        if let failure = captureObserver?.failure {
            throw Failure.runtime("\(failure) (the capture holds the whole blocks before the failure)")
        }
    }

    /// Parses an address, checks its role and resolves a listen host; a failure is a usage error
    /// naming the part.
    static func address(_ text: String, role: String, listening: Bool) throws -> Address {
        let address: Address
        do {
            address = try Address.parse(text)
        } catch {
            throw Failure.usage("\(role): \(error)")
        }
        guard address.isListen == listening else {
            throw Failure.usage(
                listening
                    ? "LISTEN must be a listen address (tcp-listen:…, unix-listen:…, tls-listen:…, socks5-listen:… or http-proxy-listen:…), not \"\(text)\""
                    : "TARGET must be a connect address (tcp:…, unix:… or tls:…), not \"\(text)\"")
        }
        // LISTEN's name is resolved now (a typo is a bad address, exit 2); TARGET's at each connect.
        do {
            try address.resolveListenHost()
        } catch {
            throw Failure.usage("\(role): \(error)")
        }
        return address
    }

    /// Parses `--max-sessions`: a whole number from 1; anything else is a usage error.
    static func sessionCount(_ text: String) throws -> Int {
        guard let count = Int(text), count >= 1 else {
            throw Failure.usage(
                "--max-sessions: \"\(text)\" is not a number of sessions (a whole number from 1)")
        }
        return count
    }

    /// Parses `16MiB`, `512KiB`, `1000`, `2GB` into bytes (``FaultSpec/parseSize(_:)``); a
    /// malformed count is a usage error naming the option.
    static func byteCount(_ text: String, option: String) throws -> Int {
        guard let bytes = FaultSpec.parseSize(text) else {
            throw Failure.usage("\(option): \"\(text)\" is not a byte count (e.g. 16MiB, 512KiB, 1000)")
        }
        return bytes
    }
}

/// Turns a capture failure into one `capture_error` event (shown by the log and the UI).
final class ErrorSink: @unchecked Sendable {
    // Set once before traffic starts, read afterwards.
    var inspector: Inspector?

    func report(_ message: String) {
        inspector?.emit(SessionEvent(conn: nil, .captureError(message)))
    }
}

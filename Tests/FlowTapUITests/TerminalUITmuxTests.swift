import Dispatch
import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import FlowTapUI
import Foundation
import NIOCore
import TestSupport
import Testing

/// The real curses front end, end to end: this test bundle runs itself in tmux (the child test
/// below runs ``TerminalUI/run(model:control:options:)`` on the §7 fixture) and is driven with
/// keys and read with capture-pane. The CLI's own end-to-end tests come with the CLI.
@Suite(.leavesNoProcesses) struct TerminalUITmuxTests {
    static let childVariable = "FLOWTAP_UI_CHILD"
    static var isChild: Bool { ProcessInfo.processInfo.environment[childVariable] != nil }

    /// Applies the commands to the model as the engine's events would.
    final class ModelControl: SessionControl {
        let model: InspectorModel
        init(_ model: InspectorModel) { self.model = model }
        func pause(session: Int, direction: Direction) {
            model.record(SessionEvent(conn: session, .pause(direction)))
        }
        func resume(session: Int, direction: Direction) {
            model.record(SessionEvent(conn: session, .held(direction, nil)))
            model.record(SessionEvent(conn: session, .resume(direction)))
        }
        func step(session: Int, direction: Direction) {
            model.record(SessionEvent(conn: session, .held(direction, nil)))
            model.record(SessionEvent(conn: session, .step(direction)))
        }
        func resumeAll() {}
        func kill(session: Int) { model.record(SessionEvent(conn: session, .readError(.c2s, "killed"))) }
        func passFIN(session: Int, direction: Direction) {
            model.record(SessionEvent(conn: session, .shutdown(direction)))
        }
        func faults(session: Int, direction: Direction) -> [Fault] {
            (model.snapshot().sessions.first { $0.id == session }?[direction].faults ?? []).compactMap {
                try? FaultSpec.parse("\(direction.rawValue):\($0)").fault
            }
        }
        func replaceHeld(session: Int, direction: Direction, hold: Int, with bytes: ByteBuffer) {
            model.record(SessionEvent(conn: session, .held(direction, nil)))
            model.record(
                SessionEvent(
                    conn: session,
                    .edit(
                        direction, originalBytes: 0, originalSHA256: "", bytes: bytes.readableBytes,
                        original: nil)))
        }
        func dropHeld(session: Int, direction: Direction, hold: Int) {
            model.record(SessionEvent(conn: session, .held(direction, nil)))
        }
        func inject(
            session: Int, direction: Direction, _ bytes: ByteBuffer,
            onRefusal: @escaping @Sendable (String) -> Void
        ) {
            model.record(SessionEvent(conn: session, .inject(direction, bytes: bytes.readableBytes)))
        }
        func setFaults(session: Int, direction: Direction, _ faults: [Fault]) {
            for old in self.faults(session: session, direction: direction) {
                model.record(SessionEvent(conn: session, .fault(direction, "-\(old)")))
            }
            for fault in faults {
                model.record(SessionEvent(conn: session, .fault(direction, "\(fault)")))
            }
        }
    }

    /// Stops the UI on SIGINT, as the CLI does.
    nonisolated static func stopOnSIGINT() -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { TerminalUI.requestStop() }
        source.resume()
        return source
    }

    @Test(.enabled(if: TerminalUITmuxTests.isChild, "runs only inside tmux, started by the test below"))
    func terminalUIChild() async {
        let source = Self.stopOnSIGINT()
        defer { source.cancel() }
        let model = Fixtures.redis()
        let archive = SessionArchive()
        for (session, ms, kind) in Fixtures.redisEvents {
            archive.record(SessionEvent(conn: session, kind, time: Fixtures.t0 + ms * 1_000_000))
        }
        let outcome = await TerminalUI.run(
            model: model, archive: archive, control: ModelControl(model), options: .init())
        print("outcome: \(outcome)")
    }

    func startChild(width: Int = 100, height: Int = 30, lang: String = "C.UTF-8") async throws -> TmuxDriver {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        return try await TmuxDriver(
            command: [executable, "--testing-library", "swift-testing", "--filter", "terminalUIChild"],
            width: width, height: height,
            environment: [Self.childVariable: "1", "LANG": lang, "LC_ALL": lang])
    }

    @Test(.enabled(if: TmuxDriver.isAvailable && !TerminalUITmuxTests.isChild, "needs tmux"))
    func liveScreenKeysResizeSaveAndQuit() async throws {
        let tmux = try await startChild()
        defer { tmux.kill() }
        var screen = try await tmux.waitFor("paused: 1 chunk held (7 B)")
        #expect(screen.contains(" flowtap  127.0.0.1:8080 ⇄ 127.0.0.1:6379"))
        #expect(
            screen.contains(" 00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a        |*1..$4..PING..|"))
        #expect(
            screen.split(separator: "\n").contains { $0.contains("|+PONG..|") && $0.hasSuffix("   (held)") },
            "\(screen)")
        try await tmux.sendKeys("p")
        try await tmux.waitFor("shut paused")
        try await tmux.sendKeys("Tab", "s")
        try await tmux.waitUntil("held chunk stepped") { !$0.contains("(held)") }
        try await tmux.sendKeys("x")
        try await tmux.waitFor(" PING\\r\\n")
        try await tmux.resize(width: 30, height: 8)
        try await tmux.waitFor("terminal too small")
        try await tmux.resize(width: 60, height: 20)
        screen = try await tmux.waitFor("? help")
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 60 })
        try await tmux.resize(width: 100, height: 30)
        try await tmux.waitUntil("full width again") { $0.contains("? help") && !$0.contains("too small") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ui-\(UUID().uuidString).pcapng"
        ).path
        defer { unlink(path) }
        try await tmux.sendKeys("w")
        try await tmux.waitFor("save capture as: flowtap-")
        for _ in 0..<40 { try await tmux.sendKeys("BSpace") }
        try await tmux.type(path)
        try await tmux.sendKeys("Enter")
        try await tmux.waitFor("saved 2 sessions to")
        #expect(FileManager.default.fileExists(atPath: path))
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        #expect(try await tmux.capture(history: true).contains("outcome: quit"))
    }

    @Test(.enabled(if: TmuxDriver.isAvailable && !TerminalUITmuxTests.isChild, "needs tmux"))
    func interruptStopsAndRestoresTheTerminal() async throws {
        let tmux = try await startChild(width: 80, height: 24)
        defer { tmux.kill() }
        try await tmux.waitFor("? help")
        try await tmux.sendKeys("C-c")
        #expect(try await tmux.waitForExit() == 0)
        let text = try await tmux.capture(history: true)
        #expect(text.contains("outcome: stopped"))
    }

    @Test(.enabled(if: TmuxDriver.isAvailable && !TerminalUITmuxTests.isChild, "needs tmux"))
    func asciiLocaleDrawsOnlyASCII() async throws {
        let tmux = try await startChild(width: 90, height: 24, lang: "C")
        defer { tmux.kill() }
        let screen = try await tmux.waitFor("paused: 1 chunk held (7 B)")
        #expect(screen.contains(" flowtap  127.0.0.1:8080 <-> 127.0.0.1:6379"))
        #expect(screen.contains(" client -> server  #2"))
        let nonASCII = screen.unicodeScalars.filter { !$0.isASCII }
        #expect(nonASCII.isEmpty)
        // Session 2 holds a chunk: q asks first.
        try await tmux.sendKeys("q")
        try await tmux.waitFor("1 held chunk will never be sent. Quit? (y/n)")
        try await tmux.sendKeys("y")
        #expect(try await tmux.waitForExit() == 0)
    }
}

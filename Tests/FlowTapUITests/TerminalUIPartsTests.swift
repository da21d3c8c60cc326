import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import FlowTapUI
import NIOCore
import Synchronization
import Testing

@Suite struct TerminalUIPartsTests {
    final class Recorder: SessionControl {
        let calls = Mutex<[String]>([])
        func log(_ text: String) { calls.withLock { $0.append(text) } }
        func pause(session: Int, direction: Direction) { log("pause \(session) \(direction)") }
        func resume(session: Int, direction: Direction) { log("resume \(session) \(direction)") }
        func step(session: Int, direction: Direction) { log("step \(session) \(direction)") }
        func resumeAll() { log("resumeAll") }
        func kill(session: Int) { log("kill \(session)") }
        func passFIN(session: Int, direction: Direction) { log("passFIN \(session) \(direction)") }
        func faults(session: Int, direction: Direction) -> [Fault] { [] }
        func setFaults(session: Int, direction: Direction, _ faults: [Fault]) {
            log("setFaults \(session) \(direction) \(faults)")
        }
        func replaceHeld(session: Int, direction: Direction, hold: Int, with bytes: ByteBuffer) {
            log("replaceHeld \(session) \(direction) \(hold) \(String(buffer: bytes))")
        }
        func dropHeld(session: Int, direction: Direction, hold: Int) {
            log("dropHeld \(session) \(direction) \(hold)")
        }
        func inject(
            session: Int, direction: Direction, _ bytes: ByteBuffer,
            onRefusal: @escaping @Sendable (String) -> Void
        ) {
            log("inject \(session) \(direction) \(String(buffer: bytes))")
            onRefusal("refused for the test")
        }
    }

    @Test func commandsReachTheSessionControl() {
        let recorder = Recorder()
        let commands: [Command] = [
            .pause(session: 1, direction: .c2s), .resume(session: 1, direction: .s2c),
            .step(session: 2, direction: .s2c), .resumeAll, .kill(session: 3),
            .passFIN(session: 4, direction: .c2s),
            .setFaults(session: 5, direction: .s2c, faults: [.latency(.milliseconds(200)), .blackhole]),
            .replaceHeld(session: 6, direction: .c2s, hold: 2, bytes: Array("new".utf8)),
            .dropHeld(session: 6, direction: .s2c, hold: 3),
            .inject(session: 7, direction: .c2s, bytes: Array("hi".utf8)),
            .save(path: "x", replacing: false), .quit,
        ]
        let refusals = Mutex<[String]>([])
        let sent = commands.map {
            $0.send(to: recorder) { reason in refusals.withLock { $0.append(reason) } }
        }
        #expect(sent == [true, true, true, true, true, true, true, true, true, true, false, false])
        #expect(refusals.withLock { $0 } == ["refused for the test"])
        #expect(
            recorder.calls.withLock { $0 } == [
                "pause 1 c2s", "resume 1 s2c", "step 2 s2c", "resumeAll", "kill 3", "passFIN 4 c2s",
                "setFaults 5 s2c [latency=200ms, blackhole]", "replaceHeld 6 c2s 2 new", "dropHeld 6 s2c 3",
                "inject 7 c2s hi",
            ])
    }

    @Test func asciiDetection() {
        #expect(!TerminalUI.Options.prefersASCII(codesetIsUTF8: true, term: "xterm-256color"))
        #expect(!TerminalUI.Options.prefersASCII(codesetIsUTF8: true, term: nil))
        #expect(TerminalUI.Options.prefersASCII(codesetIsUTF8: false, term: "xterm-256color"))
        #expect(TerminalUI.Options.prefersASCII(codesetIsUTF8: true, term: "vt100"))
        #expect(TerminalUI.Options(pollMilliseconds: 1).pollMilliseconds == 10)
        #expect(TerminalUI.Options(pollMilliseconds: 1000).pollMilliseconds == 100)
        #expect(TerminalUI.Options().ascii == nil)
    }

    @Test func gridNeverSplitsWideCharactersOrStoresControls() {
        var grid = CellGrid(width: 5, height: 2)
        #expect(grid.put("ab中文", x: 0, y: 0) == 4)
        #expect(grid.line(0) == "ab中 ")
        #expect(grid[3, 0].isContinuation)
        grid.put("x", x: 3, y: 0)
        #expect(grid.line(0) == "ab x ")
        #expect(grid.put("\u{1b}[2J", x: 0, y: 1) == 5)
        #expect(grid.line(1) == "\\x1b[")
        var ascii = CellGrid(width: 10, height: 1, ascii: true)
        ascii.put("é→", x: 0, y: 0)
        #expect(ascii.line(0) == "\\xe9\\u{219")
        #expect(grid.put("far", x: 0, y: 7) == 0)
    }
}

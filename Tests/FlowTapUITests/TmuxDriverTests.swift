import TestSupport
import Testing

@Suite(.enabled(if: TmuxDriver.isAvailable, "needs tmux"), .leavesNoProcesses)
struct TmuxDriverTests {
    @Test func drivesCat() async throws {
        let tmux = try await TmuxDriver(command: ["cat"], width: 80, height: 10)
        defer { tmux.kill() }
        try await tmux.type("hello tmux")
        try await tmux.sendKeys("Enter")
        let screen = try await tmux.waitUntil("echoed twice") {
            $0.components(separatedBy: "hello tmux").count == 3
        }
        #expect(screen.split(separator: "\n").count >= 2)
        #expect(try tmux.exitStatus() == nil)
        try await tmux.sendKeys("C-d")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test func reportsExitStatusAndEnvironment() async throws {
        let tmux = try await TmuxDriver(
            command: ["sh", "-c", "sleep 0.3; echo \"$GREETING it's\"; exit 3"], width: 77,
            height: 13,
            environment: ["GREETING": "hi there"])
        defer { tmux.kill() }
        #expect(try await tmux.waitForExit() == 3)
        let screen = try await tmux.capture(history: true)
        #expect(screen.contains("hi there it's"))
    }

    @Test func resizeAndTimeout() async throws {
        let tmux = try await TmuxDriver(command: [
            "sh", "-c",
            "trap 'echo; echo size $(tput lines) $(tput cols)' WINCH; while :; do sleep 0.05; done",
        ])
        defer { tmux.kill() }
        try await Task.sleep(for: .milliseconds(200))
        try await tmux.resize(width: 50, height: 12)
        try await tmux.waitFor("size 12 50")
        await #expect(throws: TmuxDriver.Failure.self) {
            try await tmux.waitFor("never shown", timeout: .milliseconds(200))
        }
    }
}

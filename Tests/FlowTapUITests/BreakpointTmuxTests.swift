import FlowEvents
import Foundation
import Synchronization
import TestSupport
import Testing

/// Breakpoints and the message view in the real binary, in tmux, in front of a real
/// redis-server: `--break c2s:SET` holds a SET while a GET on another connection flows; the
/// screen says which breakpoint held it; `s` delivers it and the client gets `+OK`.
@Suite("flowtap --break in the UI (tmux, redis-server)", .leavesNoProcesses)
struct BreakpointTmuxTests {
    static var redisAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-cli")
    }

    /// A throwaway redis-server on a Unix socket of its own (no TCP port), ready once
    /// `redis-cli -s PATH PING` answers PONG.
    final class Redis: Sendable {
        let child: ChildProcess
        let path: String
        private static let counter = Atomic<Int>(0)

        init() async throws {
            path =
                "/tmp/flowtap-ui-redis-\(getpid())-\(Self.counter.add(1, ordering: .relaxed).newValue).sock"
            unlink(path)
            child = try ChildProcess(
                "/usr/bin/redis-server",
                [
                    "--port", "0", "--unixsocket", path, "--unixsocketperm", "700", "--save", "",
                    "--appendonly", "no",
                ])
            for _ in 0..<1500 {
                if let status = child.exitStatus {
                    Issue.record("redis-server exited with \(status): \(child.standardOutput)")
                    throw CancellationError()
                }
                if FileManager.default.fileExists(atPath: path) {
                    let ping = try await ChildProcess.run(
                        "/usr/bin/redis-cli", ["-s", path, "PING"], timeout: .seconds(10))
                    if ping.out.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG" { return }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            child.stop()
            Issue.record("redis-server did not answer PING on \(path): \(child.standardOutput)")
            throw CancellationError()
        }

        func stop() {
            child.stop()
            unlink(path)
        }

        deinit { stop() }
    }

    @Test(
        "--break c2s:SET: the SET is held by the breakpoint while a GET flows; s delivers it; redis-cli gets OK",
        .enabled(if: TmuxDriver.isAvailable && BreakpointTmuxTests.redisAvailable, "needs tmux and redis"))
    func breakpointHoldsSetWhileGetFlows() async throws {
        let redis = try await Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "tcp-listen:0", "unix:\(redis.path)", "--break", "c2s:SET"],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let title = try await tmux.waitFor("? help")
        let first = try #require(title.split(separator: "\n").first)
        #expect(first.contains("break: c2s:SET"), "the title lists the breakpoints: \(first)")
        let listen = try #require(first.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
        let port = try #require(Int(listen.split(separator: ":").last!))

        // The SET is held: redis-cli waits for its answer.
        let setClient = try ChildProcess(
            "/usr/bin/redis-cli", ["-p", "\(port)", "SET", "flowtap:bp", "held"])
        defer { setClient.stop() }
        var screen = try await tmux.waitFor("held by breakpoint c2s:SET")
        #expect(screen.contains("client → server  #1"))
        #expect(screen.contains("53 45 54"), "the held bytes are shown: \(screen)")

        // A GET on another connection flows meanwhile: the key is not set yet.
        let get = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-p", "\(port)", "GET", "flowtap:bp"], timeout: .seconds(30))
        #expect(get.status == 0 && get.out.trimmingCharacters(in: .whitespacesAndNewlines) == "")
        #expect(setClient.exitStatus == nil, "the SET was answered while held")
        try await tmux.waitFor("#2")

        // Back to session 1 (the view followed the new one), its messages: the held SET is the
        // selected row.
        try await tmux.sendKeys("k", "m")
        screen = try await tmux.waitFor(" messages  #1  decoder: resp")
        #expect(screen.contains(">→   held  held by breakpoint c2s:SET"), "\(screen)")

        // s delivers it: redis-cli gets OK, and the list shows the SET and its reply, paired.
        try await tmux.sendKeys("s")
        let status = try await setClient.waitForExit(timeout: .seconds(30))
        #expect(status == 0)
        #expect(setClient.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "OK")
        try await tmux.waitUntil("the SET and its +OK listed") {
            $0.contains("→      0  SET flowtap:bp held") && $0.contains("←      0  +OK")
        }
        try await tmux.sendKeys("v")
        try await tmux.waitUntil("the pairs view: the SET, then its +OK with a latency") { screen in
            let lines = screen.split(separator: "\n")
            guard screen.contains("[request/reply pairs]"),
                let set = lines.firstIndex(where: { $0.contains("→      0  SET flowtap:bp held") }),
                set + 1 < lines.count
            else { return false }
            // The latency leaves out the hold (the server's time only); a loaded machine may
            // still make it slow.
            return lines[set + 1].dropFirst().hasPrefix("  ←      0  +OK")  // after the `>` of the selection
                && lines[set + 1].wholeMatch(of: /.* [0-9]+\.[0-9]+ m?s( !)?/) != nil
        }

        // The GET's session has its own list.
        try await tmux.sendKeys("j")
        screen = try await tmux.waitFor(" messages  #2")
        #expect(screen.contains("GET flowtap:bp"))
        // The value really arrived: a GET now reads it.
        let after = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-s", redis.path, "GET", "flowtap:bp"], timeout: .seconds(30))
        #expect(after.out.trimmingCharacters(in: .whitespacesAndNewlines) == "held")
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
    }
}

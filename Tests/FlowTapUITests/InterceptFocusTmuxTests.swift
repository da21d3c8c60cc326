import Foundation
import TestSupport
import Testing

/// Issue 14's defects 1 and 2, replayed with the real binary in tmux in front of a real
/// redis-server: keys act on the session shown, never on one that arrived meanwhile, and no key
/// typed for a prompt runs as a command.
@Suite(
    "intercepting in the UI: focus stays put, no key falls through (tmux, redis-server)", .leavesNoProcesses)
struct InterceptFocusTmuxTests {
    static var available: Bool { TmuxDriver.isAvailable && BreakpointTmuxTests.redisAvailable }

    /// The listening port in the title line (`flowtap  127.0.0.1:PORT ⇄ …`).
    static func port(_ screen: String) throws -> Int {
        let first = try #require(screen.split(separator: "\n").first)
        let listen = try #require(first.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
        return try #require(Int(listen.split(separator: ":").last!))
    }

    /// The session list's rows (`>1  127.0.0.1:…`, ` 2  127.0.0.1:…`).
    static func rows(_ screen: String) -> [Substring] {
        screen.split(separator: "\n").filter { $0.wholeMatch(of: /[> ][0-9]+  127\.0\.0\.1:.*/) != nil }
    }

    static func redisCLI(_ path: String, _ arguments: String...) async throws -> String {
        let result = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-s", path] + arguments, timeout: .seconds(30))
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(
        "defect 1: --pause, #1 holds SET k v1, a PING connects as #2: d drops #1's SET, not #2's PING",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"))
    func dropActsOnTheSessionShownWhenASecondClientConnects() async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "--pause", "tcp-listen:0", "unix:\(redis.path)"],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))

        let set = try ChildProcess("/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "v1"])
        defer { set.stop() }
        try await tmux.waitUntil("client → server  #1 held (28 B)") {
            $0.contains("client → server  #1  open") && $0.contains("held (28 B)")
        }
        let ping = try ChildProcess("/usr/bin/redis-cli", ["-p", "\(port)", "PING"])
        defer { ping.stop() }
        // #2 arrives and holds its PING too; the selection stays on #1, which holds the SET.
        var screen = try await tmux.waitUntil("#2 listed, holding its PING") {
            Self.rows($0).contains { $0.hasPrefix(" 2  ") && $0.contains("paused") && $0.contains("14 B") }
        }
        #expect(Self.rows(screen).first?.hasPrefix(">1  ") == true, "\(screen)")
        #expect(screen.contains("#2 new: G goes to it"), "\(screen)")
        #expect(screen.contains("client → server  #1"), "\(screen)")

        try await tmux.sendKeys("d")
        screen = try await tmux.waitFor("dropped the held 28 B of client → server #1: never sent")
        // #2's PING is still held, then delivered once resumed: the PING client gets PONG.
        #expect(ping.exitStatus == nil, "the PING was answered while held")
        try await tmux.sendKeys("G")
        try await tmux.waitUntil("client → server  #2 held (14 B)") {
            $0.contains("client → server  #2  open") && $0.contains("held (14 B)")
        }
        try await tmux.sendKeys("r")
        #expect(try await ping.waitForExit(timeout: .seconds(30)) == 0)
        #expect(ping.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
        // The SET never reached redis: #1's chunk was the one dropped.
        #expect(try await Self.redisCLI(redis.path, "EXISTS", "k") == "0")
        #expect(set.exitStatus == nil, "the dropped SET was answered")
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test(
        "defect 1 by hand: #1 paused with p holds a PING, a SET connects as #2 and ends: d drops #1's PING",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"))
    func dropActsOnTheSessionPausedByHand() async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "tcp-listen:0", "unix:\(redis.path)"],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))

        // One connection that sends a PING every 0.2 s until killed.
        let pinger = try ChildProcess(
            "/usr/bin/redis-cli", ["-p", "\(port)", "-r", "-1", "-i", "0.2", "PING"])
        defer { pinger.stop() }
        try await tmux.waitFor("client → server  #1  open")
        try await tmux.sendKeys("p")
        try await tmux.waitUntil("client → server  #1 held (14 B)") {
            $0.contains("client → server  #1  open") && $0.contains("held (14 B)")
        }
        let set = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "v2"], timeout: .seconds(30))
        #expect(set.out.trimmingCharacters(in: .whitespacesAndNewlines) == "OK")
        var screen = try await tmux.waitUntil("#2 listed and ended") {
            Self.rows($0).contains { $0.hasPrefix(" 2  ") && $0.contains("closed") }
        }
        #expect(Self.rows(screen).first?.hasPrefix(">1  ") == true, "\(screen)")
        try await tmux.sendKeys("d")
        screen = try await tmux.waitFor("dropped the held 14 B of client → server #1: never sent")
        #expect(!screen.contains("has ended"), "\(screen)")
        try await tmux.sendKeys("K")
        try await tmux.waitFor("killed #1: both sides reset")
        _ = try await pinger.waitForExit(timeout: .seconds(30))
        #expect(try await Self.redisCLI(redis.path, "GET", "k") == "v2")
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test(
        "defect 2: t typed on a session that ended: +bandwidth=fast never runs as commands",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"))
    func keysMeantForAPromptNeverRunAsCommands() async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        // flowtap runs in a folder of its own: a save prompt opened by a stray `w` would write there.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "flowtap-ui-keys-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tmux = try await TmuxDriver(
            command: [
                "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder, Machine.flowtapBinary, "tcp-listen:0",
                "unix:\(redis.path)",
            ],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))

        // A client that held nothing and is gone: the session shown has ended.
        let ping = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-p", "\(port)", "PING"], timeout: .seconds(30))
        #expect(ping.out.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
        try await tmux.waitUntil("#1 ended") {
            Self.rows($0).contains { $0.hasPrefix(">1  ") && $0.contains("closed") }
        }

        try await tmux.type("t+bandwidth=fast")
        var screen = try await tmux.waitFor("session #1 has ended   Enter or Esc: go on")
        #expect(!screen.contains("save capture as"), "\(screen)")
        #expect(!screen.contains("break [c2s:|s2c:]REGEX"), "\(screen)")
        try await tmux.sendKeys("Enter")
        screen = try await tmux.waitUntil("the footer's keys back") { $0.contains("p pause") }
        #expect(!screen.contains("break:"), "no breakpoint was set: \(screen)")
        #expect(!screen.contains("has ended"), "\(screen)")
        // The session is as it was: no key dropped, killed or saved anything.
        #expect(Self.rows(screen).first?.hasPrefix(">1  ") == true, "\(screen)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test(
        "q with a held chunk asks first; y quits, resets the holding session at once and says so",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"),
        arguments: ["q", "C-c"])
    func quittingWithAHeldChunk(key: String) async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "--pause", "tcp-listen:0", "unix:\(redis.path)"],
            width: 100, height: 30, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))
        let set = try ChildProcess("/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "v1"])
        defer { set.stop() }
        try await tmux.waitFor("held (28 B)")
        try await tmux.sendKeys(key)
        if key == "q" {
            try await tmux.waitFor("1 held chunk will never be sent. Quit? (y/n)")
            try await tmux.sendKeys("n")
            try await tmux.waitFor("not quit: the held chunks stay held")
            try await tmux.sendKeys("q")
            try await tmux.waitFor("Quit? (y/n)")
            try await tmux.sendKeys("y")
        }
        #expect(try await tmux.waitForExit() == 0)
        let text = try await tmux.capture(history: true)
        #expect(text.contains("flowtap: 1 held chunk never sent; reset #1"), "\(text)")
        #expect(text.contains("flowtap: 1 session"), "\(text)")
        // The client saw its connection end; the SET never reached redis.
        _ = try await set.waitForExit(timeout: .seconds(30))
        let exists = try await Self.redisCLI(redis.path, "EXISTS", "k")
        #expect(exists == "0", "the SET was sent: \(set.standardOutput)")
    }

    @Test(
        "search: found in the other direction, then in another session; p, t, i, w answer on an ended session",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"))
    func searchEverywhereAndFooterAnswers() async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "tcp-listen:0", "unix:\(redis.path)"],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))
        for arguments in [["SET", "k", "v"], ["PING"]] {
            let result = try await ChildProcess.run(
                "/usr/bin/redis-cli", ["-p", "\(port)"] + arguments, timeout: .seconds(30))
            #expect(result.status == 0)
        }
        // Nothing held, no key pressed: the list followed #2 (PING).
        try await tmux.waitUntil("#2 selected and ended") {
            Self.rows($0).contains { $0.hasPrefix(">2  ") && $0.contains("closed") }
        }
        // From #2's client → server pane: PONG is in the other direction.
        try await tmux.type("/PONG")
        try await tmux.sendKeys("Enter")
        var screen = try await tmux.waitFor("found at s2c offset 1 (the other direction)")
        // +OK is only in #1: the search moves there.
        try await tmux.type("/+OK")
        try await tmux.sendKeys("Enter")
        screen = try await tmux.waitFor("found at s2c offset 0 of #1")
        #expect(Self.rows(screen).first?.hasPrefix(">1  ") == true, "\(screen)")

        // Every key answers, also on an ended session.
        try await tmux.sendKeys("p")
        try await tmux.waitFor("session #1 has ended")
        try await tmux.sendKeys("t")
        try await tmux.waitFor("session #1 has ended   Enter or Esc: go on")
        try await tmux.sendKeys("Escape", "i")
        try await tmux.waitFor("session #1 has ended   Enter or Esc: go on")
        try await tmux.sendKeys("Escape", "w")
        try await tmux.waitFor("save capture as: flowtap-")
        try await tmux.sendKeys("Escape", "q")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test(
        "I pauses every session and the ones to come (redis-cli opens one per command); I again lets new ones flow",
        .enabled(if: InterceptFocusTmuxTests.available, "needs tmux and redis"))
    func interceptNewSessions() async throws {
        let redis = try await BreakpointTmuxTests.Redis()
        defer { redis.stop() }
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "tcp-listen:0", "unix:\(redis.path)"],
            width: 120, height: 40, environment: ["LANG": "C.UTF-8"])
        defer { tmux.kill() }
        let port = try Self.port(try await tmux.waitFor("? help"))
        try await tmux.sendKeys("I")
        var screen = try await tmux.waitFor("intercept on: 0 live sessions paused, new sessions start paused")
        #expect(screen.split(separator: "\n").first?.contains("new sessions paused") == true, "\(screen)")
        let ping = try ChildProcess("/usr/bin/redis-cli", ["-p", "\(port)", "PING"])
        defer { ping.stop() }
        try await tmux.waitUntil("#1 holds the PING") {
            $0.contains("client → server  #1  open") && $0.contains("held (14 B)")
        }
        #expect(ping.exitStatus == nil, "the PING went through")
        try await tmux.sendKeys("I")
        screen = try await tmux.waitFor("intercept off: new sessions flow")
        #expect(screen.split(separator: "\n").first?.contains("new sessions paused") == false, "\(screen)")
        // A new client now goes through while #1 still holds its PING.
        let set = try await ChildProcess.run(
            "/usr/bin/redis-cli", ["-p", "\(port)", "SET", "k", "v"], timeout: .seconds(30))
        #expect(set.out.trimmingCharacters(in: .whitespacesAndNewlines) == "OK")
        #expect(ping.exitStatus == nil)
        try await tmux.sendKeys("r")
        #expect(try await ping.waitForExit(timeout: .seconds(30)) == 0)
        #expect(ping.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
        try await tmux.sendKeys("q")
        #expect(try await tmux.waitForExit() == 0)
    }

    @Test(
        "flowtap demo narrates: the title says what each scenario shows",
        .enabled(if: TmuxDriver.isAvailable, "needs tmux"))
    func demoNarrates() async throws {
        let tmux = try await TmuxDriver(
            command: [Machine.flowtapBinary, "demo"], width: 160, height: 40, environment: ["LANG": "C.UTF-8"]
        )
        defer { tmux.kill() }
        // Each line stays until the next scenario (600 ms): the last one stays.
        try await tmux.waitFor("demo 9/9: breakpoint c2s:^DEL", timeout: .seconds(60))
        try await tmux.sendKeys("q")
        // The last scenario may still hold a chunk: then q asks.
        try await tmux.waitUntil("quit or asked") { $0.contains("Quit? (y/n)") || !$0.contains("? help") }
        if try await tmux.capture().contains("Quit? (y/n)") { try await tmux.sendKeys("y") }
        #expect(try await tmux.waitForExit() == 0)
    }
}

import Foundation
import TestSupport
import Testing

/// Issue 14, Deliver 4 and 7: errors that suggest the fix, and help that wraps to the terminal.
@Suite("flowtap: errors that teach, help that fits", .leavesNoProcesses)
struct HintTests {
    @Test(
        "a refused address suggests the likely command line",
        arguments: [
            (["8080", "localhost:6379"], "did you mean `tcp-listen:8080 tcp:localhost:6379`?"),
            (["8080", "6379"], "did you mean `tcp-listen:8080 tcp:localhost:6379`?"),
            (["tcp-lsten:8080", "tcp:localhost:6379"], "did you mean `tcp-listen:8080 tcp:localhost:6379`?"),
            (
                ["tcp:127.0.0.1:8080", "tcp:127.0.0.1:6379"],
                "did you mean `tcp-listen:127.0.0.1:8080 tcp:127.0.0.1:6379`?"
            ),
            (["8080", "/run/redis.sock"], "did you mean `tcp-listen:8080 unix:/run/redis.sock`?"),
            (
                ["tcp:localhost:6379", "tcp-listen:8080"],
                "did you mean `tcp-listen:8080 tcp:localhost:6379`? (LISTEN comes first)"
            ),
        ])
    func proxySuggestsTheRewrite(arguments: [String], hint: String) async throws {
        let result = try await runCommand(FlowtapProcess.binary, arguments)
        #expect(result.status == 2)
        let lines = result.err.split(separator: "\n")
        #expect(lines.count == 2 && lines.first?.hasPrefix("flowtap: ") == true, "\(result.err)")
        #expect(lines.last.map(String.init) == hint, "\(result.err)")
    }

    @Test("an address nothing can be made of gets no guess")
    func noGuess() async throws {
        let result = try await runCommand(FlowtapProcess.binary, ["udp:1", "tcp:127.0.0.1:1"])
        #expect(result.status == 2)
        #expect(
            result.err
                == "flowtap: LISTEN: bad address \"udp:1\": unknown scheme \"udp\" (expected tcp, tcp-listen, unix, unix-listen, tls, tls-listen, socks5-listen, http-proxy-listen)\n"
        )
    }

    @Test("replay given a listen address names --as-server")
    func replayNamesAsServer() async throws {
        let result = try await runCommand(
            FlowtapProcess.binary, ["replay", "/nonexistent.pcapng", "tcp-listen:8080"])
        #expect(result.status == 2)
        #expect(
            result.err
                == "flowtap: TARGET must be a connect address (tcp:…, unix:… or tls:…), not \"tcp-listen:8080\"\n"
                + "to play the captured server's side to clients connecting there, add --as-server\n")
    }

    @Test("a file that is no capture: neither pcapng nor pcap")
    func foreignFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "flowtap-hint-\(UUID().uuidString).txt"
        ).path
        try "GET / HTTP/1.1\r\n\r\n".write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await runCommand(FlowtapProcess.binary, ["view", path, "--headless"])
        #expect(result.status == 1)
        #expect(result.err == "flowtap: \(path): neither pcapng nor pcap\n")
    }

    @Test(
        "--help wraps to the terminal's width (COLUMNS), paragraphs not wrapped beforehand",
        arguments: [60, 80, 200])
    func helpWraps(columns: Int) async throws {
        for command in [["--help"], ["proxy", "--help"], ["replay", "--help"], ["view", "--help"]] {
            let result = try await ChildProcess.run(
                "/usr/bin/env", ["COLUMNS=\(columns)", FlowtapProcess.binary] + command, timeout: .seconds(60)
            )
            #expect(result.status == 0)
            let lines = result.out.split(separator: "\n", omittingEmptySubsequences: false)
            // ArgumentParser does not wrap the USAGE line.
            for line in lines where !line.hasPrefix("USAGE:") {
                // A line may pass the width only when it is one word (nothing to break).
                #expect(
                    line.count <= columns || !line.trimmingCharacters(in: .whitespaces).contains(" "),
                    "\(command) at \(columns): \(line.count) columns: \(line)")
            }
            if columns == 200, command == ["proxy", "--help"] {
                #expect(
                    lines.contains {
                        $0.hasPrefix(
                            "Faults (--fault DIR:KIND[=VALUE], repeatable; DIR is c2s, s2c or both; each acts on the data going that way"
                        )
                    }, "the paragraph is one line when the terminal is wide: \(result.out)")
            }
        }
    }

    @Test(
        "the exit summary is ASCII under LANG=C, with arrows in a UTF-8 locale", arguments: ["C", "C.UTF-8"])
    func summaryFollowsTheLocale(locale: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = locale
        let flowtap = try ChildProcess(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "--headless"], environment: environment
        )
        defer { flowtap.stop() }
        for _ in 0..<1000 where !flowtap.standardOutput.contains("listening on") {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(flowtap.standardOutput.contains("listening on"))
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitForExit(timeout: .seconds(30)) == 0)
        let arrow = locale == "C" ? "->" : "→"
        #expect(
            flowtap.standardError
                == "flowtap: 0 sessions, 0 B client \(arrow) server, 0 B server \(arrow) client\n")
    }

    @Test(
        "view --raw --session N --dir DIR writes one direction's bytes as sent; refused on a terminal or without both"
    )
    func rawExport() async throws {
        let file = try await ReplayTests.recordRedisSession()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let c2s = try await runCommand(
            FlowtapProcess.binary, ["view", file, "--raw", "--session", "1", "--dir", "c2s"])
        #expect(c2s.status == 0 && c2s.err == "")
        #expect(c2s.out == ReplayTests.commands.joined())
        let s2c = try await runCommand(
            FlowtapProcess.binary, ["view", file, "--raw", "--session", "1", "--dir", "s2c"])
        #expect(s2c.status == 0 && s2c.out == ReplayTests.answers)
        let missing = try await runCommand(
            FlowtapProcess.binary, ["view", file, "--raw", "--session", "7", "--dir", "c2s"])
        #expect(missing.status == 2 && missing.err == "flowtap: no session 7 in \(file) (sessions: 1)\n")
        let noDir = try await runCommand(FlowtapProcess.binary, ["view", file, "--raw", "--session", "1"])
        #expect(noDir.status == 2 && noDir.err == "flowtap: --raw needs --session N and --dir c2s|s2c\n")
        let badDir = try await runCommand(
            FlowtapProcess.binary, ["view", file, "--raw", "--session", "1", "--dir", "up"])
        #expect(badDir.status == 2 && badDir.err == "flowtap: --dir: \"up\" is not c2s or s2c\n")
        // On a terminal (script(1) gives it one), nothing is written: exit 2 and the way to do it.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/script") {
            let terminal = try await ChildProcess.run(
                "/usr/bin/script",
                [
                    "-qec", "'\(FlowtapProcess.binary)' view '\(file)' --raw --session 1 --dir c2s",
                    "/dev/null",
                ],
                timeout: .seconds(60))
            #expect(terminal.status == 2)
            #expect(
                terminal.out.contains("--raw writes the bytes as they are: redirect stdout"),
                "\(terminal.out)")
            #expect(!terminal.out.contains("PING"))
        }
    }
}

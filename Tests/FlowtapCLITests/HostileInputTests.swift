import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12, end to end: a full disk, links and FIFOs given to `-w`, escape sequences in a
/// client's address and in a capture, addresses checked before listening.
@Suite("flowtap against hostile input, end to end", .serialized, .leavesNoProcesses)
struct HostileInputTests {
    /// An escape sequence that sets the terminal's title and clears the screen.
    static let attack = "\u{1b}]0;pwned\u{07}\u{1b}[2J"

    static func directory() throws -> String {
        let path = "/tmp/ft\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The first terminal control in `bytes` (C0 but line feed, DEL, C1 as UTF-8 or as a raw
    /// byte, a bidirectional control), described, or `nil` when there is none.
    static func control(in bytes: [UInt8]) -> String? {
        if let i = bytes.firstIndex(where: { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }) {
            return "byte 0x\(String(bytes[i], radix: 16)) at \(i)"
        }
        // A raw C1 byte is not UTF-8: it decodes as U+FFFD, flagged below.
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            let v = scalar.value
            if (0x80...0x9f).contains(v) || v == 0xfffd || v == 0x61c || v == 0x200e || v == 0x200f
                || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
            {
                return "U+\(String(v, radix: 16))"
            }
        }
        return nil
    }

    static func file(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    @Test("a full disk (ulimit -f): exit 1, and view and tshark both read the capture whole up to the cut")
    func fullDisk() async throws {
        let echo = try await LoopbackServer.echo()
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/full.pcapng"
        // 6000 bytes: the headers and the first chunks fit; the limit falls in the middle of a
        // batch. Not a multiple of a page: direct I/O's padded page write fails before the limit
        // is reached, and the buffered fallback must write on up to it.
        let flowtap = try FlowtapProcess(
            [
                "--fsize=6000", "--", FlowtapProcess.binary, "tcp-listen:0", echo.target, "--json", "--once",
                "-w", file,
            ],
            executable: "/usr/bin/prlimit")
        let client = try await connect(try await flowtap.listeningPort())
        var sent: [UInt8] = []
        var back: [UInt8] = []
        for chunk in 0..<24 {
            let payload = (0..<700).map { UInt8(truncatingIfNeeded: $0 &+ chunk &* 7) }
            sent += payload
            try await client.write(ByteBuffer(bytes: payload))
            while back.count < sent.count, case .data(let c) = try await client.read() {
                back += c.readableBytesView
            }
            // Longer than the capture queue's gather window (10 ms): each round trip is a batch
            // of its own, so several appends end between the page before the limit and the
            // limit (each of them a direct write that fails and a buffered retry that succeeds).
            try await Task.sleep(for: .milliseconds(15))
        }
        await client.shutdownWrite()
        back += await drain(client).bytes
        #expect(back == sent, "forwarding went on")
        #expect(try await flowtap.waitExit() == 1)
        #expect(flowtap.stderr.contains("file too large"), "\(flowtap.stderr)")
        let bytes = Self.file(file)
        // Everything up to the last whole block under the limit (a block is under 1 KiB here).
        #expect(bytes.count <= 6000 && bytes.count > 4700, "\(bytes.count) bytes")
        // Whole blocks only: the reader finds no cut.
        var warnings: [String] = []
        let sessions = try CaptureReader.read(path: file) { warnings.append($0) }
        #expect(warnings.isEmpty, "\(warnings)")
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--headless", "--json", "-x"])
        #expect(view.status == 0)
        #expect(view.err.isEmpty, "\(view.err)")
        var viewed: [UInt8] = []
        for line in view.out.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "data", object["dir"] as? String == "c2s",
                let hex = object["hex"] as? String
            else { continue }
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                viewed.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
        }
        let tshark = try await runCommand("/usr/bin/tshark", ["-r", file])
        #expect(tshark.status == 0)
        #expect(!tshark.err.contains("cut short"), "\(tshark.err)")
        let followed = try await tsharkFollow(file, stream: 0)
        #expect(!viewed.isEmpty)
        #expect(viewed.count < sent.count, "the limit cut the capture")
        #expect(Array(sent.prefix(viewed.count)) == viewed)
        #expect(followed.c2s == viewed, "tshark and view agree")
        #expect(sessions.count == 1)
        await client.close(waitingAtMost: .seconds(1))
        await echo.close()
    }

    @Test("-w on a symbolic link or a FIFO is refused at start; the link's target is unchanged")
    func linksAndFifos() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/precious"
        try "not yours\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(chmod(target, 0o644) == 0)
        let link = directory + "/s.pcapng"
        #expect(symlink(target, link) == 0)
        let linked = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "-w", link])
        #expect(linked.status == 1)
        #expect(linked.err == "flowtap: cannot create capture \(link): is a symbolic link (not followed)\n")
        #expect(linked.out.isEmpty)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "not yours\n")
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o644)

        let fifo = directory + "/f.pcapng"
        #expect(mkfifo(fifo, 0o600) == 0)
        // No reader: refused at once, not blocked forever.
        let piped = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "-w", fifo], timeout: 20)
        #expect(piped.status == 1)
        #expect(piped.err == "flowtap: cannot create capture \(fifo): not a regular file (a FIFO)\n")
    }

    /// A Unix socket client bound to `path`: connects to `server`, sends a line, half-closes.
    static func unixClient(bound path: String, to server: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        func address(_ text: String) -> sockaddr_un {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in text.utf8.enumerated() { raw[i] = byte }
            }
            return address
        }
        var local = address(path)
        var remote = address(server)
        let size = socklen_t(MemoryLayout<sockaddr_un>.size)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) }
        }
        #expect(bound == 0 && connected == 0, "errno \(errno)")
        _ = write(fd, "hello\n", 6)
        _ = shutdown(fd, Int32(SHUT_WR))
        return fd
    }

    @Test(
        "a Unix client's path full of escape sequences never reaches stdout or stderr raw",
        arguments: [
            ["--headless"], ["--headless", "-x"], ["--headless", "-v"], ["--json"],
            ["--json", "--payload", "both"],
        ])
    func unixClientPath(mode: [String]) async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let echo = try await LoopbackServer.echo(.unixListen(path: directory + "/t.sock"))
        let listen = directory + "/l.sock"
        let out = directory + "/out"
        let err = directory + "/err"
        let flowtap = try ChildProcess(
            FlowtapProcess.binary,
            ["unix-listen:" + listen, "unix:" + directory + "/t.sock", "--once"] + mode,
            output: .file(out), error: .file(err))
        // Ready once flowtap says it listens: the socket file exists as soon as it is bound,
        // before it listens, and a connect then is refused (seen under a parallel run).
        let deadline = Date().addingTimeInterval(20)
        while !String(decoding: Self.file(out), as: UTF8.self).contains("listening") && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // C0, C1 (CSI U+009B) and a bidirectional override in the client's own socket path.
        let fd = Self.unixClient(bound: directory + "/" + Self.attack + "\u{9b}31m\u{202e}x", to: listen)
        guard let status = try await flowtap.waitForExit(timeout: .seconds(20)) else {
            flowtap.stop()
            Issue.record("flowtap did not end")
            return
        }
        close(fd)
        #expect(status == 0)
        let stdout = Self.file(out)
        let stderr = Self.file(err)
        #expect(String(decoding: stdout, as: UTF8.self).contains("pwned"), "the open line names the client")
        #expect(Self.control(in: stdout) == nil, "\(mode): \(String(decoding: stdout, as: UTF8.self))")
        #expect(Self.control(in: stderr) == nil, "\(mode): \(String(decoding: stderr, as: UTF8.self))")
        if mode == ["--headless"] {
            #expect(
                String(decoding: stdout, as: UTF8.self).contains(
                    "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u{202e}x"))
        }
        await echo.close()
    }

    @Test("strings inside a capture never reach stdout or stderr raw, in any view mode")
    func captureStrings() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/evil.pcapng"
        let writer = try CaptureWriter(path: file)
        let evil = Self.attack + "\u{9b}2J\u{85}\u{202e}\u{2066}\u{200f}\u{61c}"
        let t: UInt64 = 1_764_000_000_000_000_000
        try writer.write([
            SessionEvent(
                conn: 1, .open(client: .unix(path: evil), target: .unix(path: "/t" + evil)), time: t),
            SessionEvent(conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: evil)), time: t + 1),
            SessionEvent(conn: 1, .fault(.c2s, evil), time: t + 2),
            SessionEvent(conn: 1, .readError(.s2c, evil), time: t + 3),
            SessionEvent(conn: 1, .note(evil), time: t + 4),
            // The wall clock stepped back: close stamped before the open.
            SessionEvent(
                conn: 1, .close(c2s: Stats(), s2c: Stats()), time: t - 5_000_000_000),
        ])
        try writer.close()
        for mode in [
            ["--headless"], ["--headless", "-x"], ["--headless", "-v"], ["--headless", "-v", "-x"],
            ["--json"],
            ["--json", "-x"], ["--json", "--payload", "both"],
        ] {
            let view = try await runCommand(FlowtapProcess.binary, ["view", file] + mode)
            #expect(view.status == 0, "\(mode): \(view.err)")
            #expect(view.out.contains("pwned"))
            #expect(Self.control(in: Array(view.out.utf8)) == nil, "\(mode): \(view.out)")
            #expect(view.err.isEmpty)
        }
        // A file name that is itself an attack: the error quotes it escaped.
        let missing = try await runCommand(FlowtapProcess.binary, ["view", directory + "/" + evil])
        #expect(missing.status == 1)
        #expect(Self.control(in: Array(missing.err.utf8)) == nil, "\(missing.err)")
        #expect(missing.err.contains("\\x1b]0;pwned\\x07"))
    }

    @Test("view refuses a device instead of reading it until memory runs out")
    func viewDevZero() async throws {
        let view = try await runCommand(
            FlowtapProcess.binary, ["view", "/dev/zero", "--headless"], timeout: 20)
        #expect(view.status == 1)
        #expect(
            view.err == "flowtap: cannot read capture /dev/zero: not a regular file (a character device)\n")
    }

    @Test("a capture cut mid-block is viewed up to the cut, with a warning")
    func viewCutCapture() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/cut.pcapng"
        let writer = try CaptureWriter(path: file)
        let t: UInt64 = 1_764_000_000_000_000_000
        try writer.write([
            SessionEvent(
                conn: 1,
                .open(client: .ip(host: "127.0.0.1", port: 5), target: .ip(host: "127.0.0.1", port: 6)),
                time: t),
            SessionEvent(conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "first")), time: t + 1),
            SessionEvent(conn: 1, .data(.c2s, offset: 5, bytes: ByteBuffer(string: "second")), time: t + 2),
        ])
        try writer.close()
        let whole = Self.file(file)
        try Data(whole.dropLast(3)).write(to: URL(fileURLWithPath: file))
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--headless"])
        #expect(view.status == 0)
        #expect(view.out.contains("c2s data 5 B at 0"), "\(view.out)")
        #expect(
            view.err.hasPrefix("flowtap: warning: \(file): the file ends in the middle of a block at offset ")
        )
        #expect(view.err.hasSuffix("; read up to there\n"))
    }

    @Test("addresses are checked before listening: exit 2 naming the part, with a suggestion")
    func addresses() async throws {
        func run(_ arguments: [String]) async throws -> (status: Int32, err: String) {
            let result = try await runCommand(FlowtapProcess.binary, arguments + ["--headless"], timeout: 30)
            #expect(result.out.isEmpty, "never listened: \(result.out)")
            return (result.status, result.err)
        }
        let unknown = try await run(["tcp-listen:nonexistent.invalid:0", "tcp:127.0.0.1:1"])
        #expect(unknown.status == 2)
        #expect(
            unknown.err.hasPrefix(
                "flowtap: LISTEN: bad address \"tcp-listen:nonexistent.invalid:0\": cannot resolve host \"nonexistent.invalid\""
            ), "\(unknown.err)")
        #expect(!unknown.err.contains("SocketAddressError"))
        let star = try await run(["tcp-listen:*:0", "tcp:127.0.0.1:1"])
        #expect(star.status == 2)
        #expect(star.err.hasPrefix("flowtap: LISTEN: "))
        #expect(star.err.contains("0.0.0.0") && star.err.contains("[::]"), "\(star.err)")
        let quad = try await run(["tcp-listen:0", "tcp:256.0.0.1:80"])
        #expect(quad.status == 2)
        #expect(
            quad.err
                == "flowtap: TARGET: bad address \"tcp:256.0.0.1:80\": \"256.0.0.1\" is not an IPv4 address (four numbers 0-255, e.g. 127.0.0.1)\n"
        )
        let any = try await run(["tcp-listen:0", "tcp:*:80"])
        #expect(any.status == 2)
        #expect(any.err.hasPrefix("flowtap: TARGET: "))
        let url = try await run(["tcp-listen:0", "tcp://127.0.0.1:80"])
        #expect(url.status == 2)
        #expect(
            url.err
                == "flowtap: TARGET: bad address \"tcp://127.0.0.1:80\": a URL is not an address: write tcp:HOST:PORT, i.e. tcp:127.0.0.1:80\n"
        )
        let control = try await run(["tcp-listen:" + Self.attack + ":0", "tcp:127.0.0.1:1"])
        #expect(control.status == 2)
        #expect(Self.control(in: Array(control.err.utf8)) == nil, "\(control.err)")
        #expect(control.err.contains("\\x1b]0;pwned\\x07\\x1b[2J"))
        let option = try await run(["tcp-listen:0", "tcp:127.0.0.1:1", "--" + Self.attack])
        #expect(option.status == 2)
        #expect(Self.control(in: Array(option.err.utf8)) == nil, "\(option.err)")
    }
}

import FlowCapture
import FlowCore
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// Follows TCP stream `index` of a capture with tshark and returns each direction's bytes.
func tsharkFollow(_ file: String, stream index: Int) async throws -> (c2s: [UInt8], s2c: [UInt8]) {
    let result = try await runCommand("/usr/bin/tshark", ["-r", file, "-q", "-z", "follow,tcp,raw,\(index)"])
    #expect(result.status == 0, "tshark: \(result.err)")
    var c2s: [UInt8] = []
    var s2c: [UInt8] = []
    var inBody = false
    for line in result.out.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("Node 1:") {
            inBody = true
            continue
        }
        guard inBody, !line.hasPrefix("====") else { continue }
        let server = line.hasPrefix("\t")
        let hex = line.trimmingCharacters(in: .whitespaces)
        guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { continue }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        if server { s2c += bytes } else { c2s += bytes }
    }
    return (c2s, s2c)
}

@Suite("flowtap -w: live captures judged by tshark", .serialized, .leavesNoProcesses)
struct CaptureTests {
    static func tempFile(_ name: String) -> String {
        NSTemporaryDirectory() + "flowtap-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    @Test("tshark's follow gives back every direction of every live session byte for byte")
    func followMatchesLiveBytes() async throws {
        let echo = try await LoopbackServer { connection in
            // Answers each chunk reversed, so the two directions differ.
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                do {
                    try await connection.write(ByteBuffer(bytes: Array(chunk.readableBytesView.reversed())))
                } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let file = Self.tempFile("live.pcapng")
        let flowtap = try FlowtapProcess(["tcp-listen:0", echo.target, "--json", "-w", file])
        let port = try await flowtap.listeningPort()
        var sent: [[UInt8]] = []
        var received: [[UInt8]] = []
        for session in 0..<3 {
            let client = try await connect(port)
            var bytes: [UInt8] = []
            var back: [UInt8] = []
            for chunk in 0..<(5 + session * 10) {
                let payload = (0..<(1 + chunk * 997 % 70_000)).map {
                    UInt8(truncatingIfNeeded: $0 &* 13 &+ chunk &+ session)
                }
                bytes += payload
                try await client.write(ByteBuffer(bytes: payload))
                // Wait for the answer so chunks stay whole and in lock-step.
                while back.count < bytes.count, case .data(let c) = try await client.read() {
                    back += c.readableBytesView
                }
            }
            await client.shutdownWrite()
            back += await drain(client).bytes
            sent.append(bytes)
            received.append(back)
            await client.close(waitingAtMost: .seconds(2))
        }
        try await flowtap.waitForEvents { named($0, "close").count == 3 }
        flowtap.signal(SIGINT)
        #expect(try await flowtap.waitExit() == 0)
        var attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        for session in 0..<3 {
            let (c2s, s2c) = try await tsharkFollow(file, stream: session)
            #expect(c2s == sent[session], "session \(session + 1) c2s")
            #expect(s2c == received[session], "session \(session + 1) s2c")
        }
        let analysis = try await runCommand("/usr/bin/tshark", ["-r", file, "-Y", "tcp.analysis.flags"])
        #expect(analysis.out.isEmpty, "tcp.analysis.flags: \(analysis.out)")
        // FIN from both sides of each session.
        let fins = try await runCommand(
            "/usr/bin/tshark", ["-r", file, "-Y", "tcp.flags.fin == 1", "-T", "fields", "-e", "tcp.stream"])
        #expect(fins.out.split(separator: "\n").count == 6)
        attributes = [:]
        try? FileManager.default.removeItem(atPath: file)
        await echo.close()
    }

    @Test("curl through the proxy: tshark dissects the HTTP exchange")
    func httpDissected() async throws {
        let web = try await LoopbackServer { connection in
            var request = ""
            while !request.contains("\r\n\r\n"),
                case .data(let chunk) = (try? await connection.read()) ?? .eof
            {
                request += String(buffer: chunk)
            }
            let body = "hello from flowtap\n"
            try? await connection.write(
                ByteBuffer(
                    string:
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                ))
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let file = Self.tempFile("http.pcapng")
        let flowtap = try FlowtapProcess(["tcp-listen:0", web.target, "--json", "--once", "-w", file])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/index.html"])
        #expect(curl.out == "hello from flowtap\n")
        #expect(try await flowtap.waitExit() == 0)
        let http = try await runCommand(
            "/usr/bin/tshark",
            [
                "-r", file, "-Y", "http", "-T", "fields", "-e", "http.request.method", "-e",
                "http.request.uri", "-e", "http.response.code",
            ])
        let rows = http.out.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.contains { $0.first == "GET" && $0.count > 1 && $0[1] == "/index.html" }, "\(http.out)")
        #expect(rows.contains { $0.last == "200" }, "\(http.out)")
        try? FileManager.default.removeItem(atPath: file)
        await web.close()
    }

    @Test("a reset and a refused connect stand in the capture; view --json prints the live events again")
    func viewReplaysLiveEvents() async throws {
        let resets = try await LoopbackServer { connection in
            _ = try? await connection.read()
            try? await connection.write(ByteBuffer(string: "partial answer"))
            try? await Task.sleep(for: .milliseconds(100))
            await connection.reset()
        }
        let file = Self.tempFile("view.pcapng")
        let flowtap = try FlowtapProcess(["tcp-listen:0", resets.target, "--json", "-w", file])
        let port = try await flowtap.listeningPort()
        let client = try await connect(port)
        try await client.write(ByteBuffer(string: "request"))
        _ = await drain(client)
        await client.close(waitingAtMost: .seconds(1))
        try await flowtap.waitForEvents { !named($0, "close").isEmpty }
        await resets.close()
        if let refused = await connectToRefused(port) { _ = await drain(refused) }
        try await flowtap.waitForEvents { !named($0, "connect_error").isEmpty }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)

        // RST in the capture, from the server's side.
        let rst = try await runCommand(
            "/usr/bin/tshark",
            ["-r", file, "-Y", "tcp.flags.reset == 1", "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport"])
        #expect(rst.out.split(separator: "\n").contains { $0.hasSuffix("\t\(resets.port)") }, "\(rst.out)")

        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--headless", "--json"])
        #expect(view.status == 0, "\(view.err)")
        func key(_ event: [String: Any]) -> String {
            var parts = ["\(event["event"]!)", "\(event["conn"] ?? "-")", "\(event["dir"] ?? "-")"]
            for field in ["offset", "bytes", "error", "client", "target"] {
                if let value = event[field] { parts.append("\(field)=\(value)") }
            }
            return parts.joined(separator: " ")
        }
        let live = flowtap.events.filter { $0["event"] as? String != "listening" }.map(key)
        let replayed = view.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.map(key)
        #expect(replayed.sorted() == live.sorted())
        #expect(replayed.contains { $0.hasPrefix("connect_error") })
        try? FileManager.default.removeItem(atPath: file)
    }

    @Test("a capture that fails mid-session: forwarding goes on and the error is shown once")
    func captureFailure() async throws {
        let echo = try await LoopbackServer.echo()
        let file = Self.tempFile("limited.pcapng")
        // A 1 KiB file size limit: the headers fit, the session's packets do not.
        let flowtap = try FlowtapProcess(
            [
                "-c", "ulimit -f 2; exec \"$0\" \"$@\"", FlowtapProcess.binary, "tcp-listen:0", echo.target,
                "--json", "--once", "-w", file,
            ],
            executable: "/bin/sh")
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "still forwarded"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "still forwarded")
        // Forwarding went on, but the capture is not whole: exit status 1, one clear line.
        #expect(try await flowtap.waitExit() == 1)
        let errors = named(flowtap.events, "capture_error")
        #expect(errors.count == 1)
        #expect((errors.first?["error"] as? String)?.contains("file too large") == true, "\(errors)")
        #expect(flowtap.stderr.contains("capture failed"))
        #expect(
            flowtap.stderr.hasSuffix(
                "flowtap: cannot write capture \(file): file too large (the capture holds the whole blocks before the failure)\n"
            ), "\(flowtap.stderr)")
        try? FileManager.default.removeItem(atPath: file)
        await client.close(waitingAtMost: .seconds(1))
        await echo.close()
    }

    @Test("a capture that cannot be written at all: exit 1 before listening")
    func captureUnwritable() async throws {
        let full = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "-w", "/dev/full"])
        #expect(full.status == 1)
        #expect(
            full.err == "flowtap: cannot create capture /dev/full: not a regular file (a character device)\n")
        #expect(full.out.isEmpty)
        let missing = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "-w", "/nonexistent/dir/s.pcapng"])
        #expect(missing.status == 1)
        #expect(
            missing.err
                == "flowtap: cannot create capture /nonexistent/dir/s.pcapng: no such file or directory\n")
    }

    @Test("view: a truncated or foreign file gives exit 1 and one clear line")
    func viewBadFiles() async throws {
        let text = Self.tempFile("notes.txt")
        try "just text, not a capture\n".write(toFile: text, atomically: true, encoding: .utf8)
        let foreign = try await runCommand(FlowtapProcess.binary, ["view", text, "--headless"])
        #expect(foreign.status == 1)
        #expect(foreign.err == "flowtap: \(text): neither pcapng nor pcap\n")
        let missing = try await runCommand(FlowtapProcess.binary, ["view", text + ".missing", "--headless"])
        #expect(missing.status == 1)
        #expect(missing.err.contains("no such file or directory"))
        try? FileManager.default.removeItem(atPath: text)
    }
}

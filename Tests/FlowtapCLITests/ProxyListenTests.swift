import FlowCore
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

/// `socks5-listen:` and `http-proxy-listen:` (issue 16) end to end: the real binary between
/// curl (or a SOCKS5 client of the test) and real servers (Python's http.server, echo servers
/// of the test), its `--json` events checked.
@Suite("flowtap socks5-listen and http-proxy-listen: targets from handshakes", .leavesNoProcesses)
struct ProxyListenTests {
    @Test(
        "curl --socks5-hostname: a name target, target_name in open, the body byte-exact, no handshake byte in the data"
    )
    func socks5Hostname() async throws {
        let web = try await FileServer()
        defer { web.stop() }
        let file = CaptureTests.tempFile("socks-name.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let flowtap = try FlowtapProcess(["socks5-listen:0", "--json", "-x", "--once", "-w", file])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "/usr/bin/curl",
            [
                "-sS", "--socks5-hostname", "127.0.0.1:\(port)", "http://localhost:\(web.port)/blob", "-o",
                web.downloaded,
            ])
        #expect(curl.status == 0, "curl: \(curl.err)")
        #expect(try web.downloadedMatches())
        #expect(try await flowtap.waitExit() == 0)
        let open = named(flowtap.events, "open", conn: 1)
        try #require(open.count == 1, "\(flowtap.output)")
        #expect(open[0]["target_name"] as? String == "localhost")
        #expect((open[0]["target"] as? String)?.hasSuffix(":\(web.port)") == true)
        // The session's first client bytes are the HTTP request, not the SOCKS5 greeting.
        let data = named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }
        #expect(
            (data.first?["hex"] as? String)?.hasPrefix("474554202f626c6f6220") == true, "\(data.first ?? [:])"
        )
        #expect(named(flowtap.events, "decoder", conn: 1).first?["proto"] as? String == "http")
        // The capture keeps the name: view shows the same open.
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--json"], timeout: 30)
        #expect(view.out.contains("\"target_name\":\"localhost\""), "\(view.out)")
    }

    @Test("curl --socks5 to an IPv4 and an IPv6 target: no target_name, bytes exact")
    func socks5Addresses() async throws {
        let web4 = try await FileServer()
        defer { web4.stop() }
        let flowtap = try FlowtapProcess(["socks5-listen:0", "--json"])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "/usr/bin/curl",
            [
                "-sS", "--socks5", "127.0.0.1:\(port)", "http://127.0.0.1:\(web4.port)/blob", "-o",
                web4.downloaded,
            ])
        #expect(curl.status == 0, "curl: \(curl.err)")
        #expect(try web4.downloadedMatches())
        try await flowtap.waitForEvents { !named($0, "close", conn: 1).isEmpty }
        let open = named(flowtap.events, "open", conn: 1)
        #expect(open.first?["target"] as? String == "127.0.0.1:\(web4.port)")
        #expect(open.first?["target_name"] == nil)
        if Machine.ipv6LoopbackAvailable() {
            let web6 = try await FileServer(host: "::1")
            defer { web6.stop() }
            let curl6 = try await runCommand(
                "/usr/bin/curl",
                [
                    "-sS", "--socks5", "127.0.0.1:\(port)", "http://[::1]:\(web6.port)/blob", "-o",
                    web6.downloaded,
                ])
            #expect(curl6.status == 0, "curl: \(curl6.err)")
            #expect(try web6.downloadedMatches())
            try await flowtap.waitForEvents { !named($0, "open", conn: 2).isEmpty }
            #expect(
                named(flowtap.events, "open", conn: 2).first?["target"] as? String == "[::1]:\(web6.port)")
        }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test("curl -x (absolute form, forwarded in origin form) and -x -p (CONNECT tunnel): bytes exact")
    func httpProxy() async throws {
        let web = try await FileServer()
        defer { web.stop() }
        let flowtap = try FlowtapProcess(["http-proxy-listen:0", "--json"])
        let port = try await flowtap.listeningPort()
        let url = "http://127.0.0.1:\(web.port)/blob"
        let forwarded = try await runCommand(
            "/usr/bin/curl", ["-sS", "-x", "http://127.0.0.1:\(port)", url, "-o", web.downloaded])
        #expect(forwarded.status == 0, "curl: \(forwarded.err)")
        #expect(try web.downloadedMatches())
        // The server saw an origin-form request line.
        try await web.waitForRequest("GET /blob HTTP/1.1")
        let tunnel = try await runCommand(
            "/usr/bin/curl", ["-sS", "-p", "-x", "http://127.0.0.1:\(port)", url, "-o", web.downloaded])
        #expect(tunnel.status == 0, "curl: \(tunnel.err)")
        #expect(try web.downloadedMatches())
        try await flowtap.waitForEvents { !named($0, "close", conn: 2).isEmpty }
        for conn in [1, 2] {
            #expect(
                named(flowtap.events, "open", conn: conn).first?["target"] as? String
                    == "127.0.0.1:\(web.port)")
        }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test(
        "HTTP proxy: a second request on the connection for another host gets 502 with the reason, then FIN")
    func httpOtherHost() async throws {
        let web = try await FileServer()
        defer { web.stop() }
        let flowtap = try FlowtapProcess(["http-proxy-listen:0", "--json"])
        let port = try await flowtap.listeningPort()
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        let first = "GET http://127.0.0.1:\(web.port)/small HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        try await client.write(ByteBuffer(string: first))
        // The answer to the first, whole, before the second request goes.
        var received = ""
        while !received.contains("small file\n") {
            guard case .data(let chunk) = try await client.read() else { break }
            received += String(buffer: chunk)
        }
        #expect(received.hasPrefix("HTTP/1.0 200 OK") || received.hasPrefix("HTTP/1.1 200 OK"), "\(received)")
        try await client.write(
            ByteBuffer(string: "GET http://localhost:1/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        let rest = await drain(client)
        let answer = String(decoding: rest.bytes, as: UTF8.self)
        #expect(rest.error == nil, "the answer ended with \(String(describing: rest.error)), not a FIN")
        #expect(answer.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), "\(answer)")
        #expect(
            answer.contains("request for localhost:1 on a connection to 127.0.0.1:\(web.port)"), "\(answer)")
        await client.close(waitingAtMost: .seconds(2))
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test(
        "a refused target: SOCKS5 reply 5 then FIN, HTTP 502 with the reason then FIN, connect_error with target_name"
    )
    func refused() async throws {
        let socks = try FlowtapProcess(["socks5-listen:0", "--json"])
        let socksPort = try await socks.listeningPort()
        let client = try await Connector.connect(.tcp(host: "127.0.0.1", port: socksPort))
        try await client.write(
            ByteBuffer(bytes: [5, 1, 0] + [5, 1, 0, 3, 9] + Array("localhost".utf8) + [0, 1]))
        let reply = await drain(client)
        #expect(reply.error == nil, "not a FIN: \(String(describing: reply.error))")
        #expect(
            Array(reply.bytes.prefix(4)) == [5, 0, 5, 5] || Array(reply.bytes.prefix(4)) == [5, 0, 5, 4],
            "\(reply.bytes)")
        await client.close(waitingAtMost: .seconds(2))
        try await socks.waitForEvents { !named($0, "connect_error", conn: 1).isEmpty }
        let error = named(socks.events, "connect_error", conn: 1)[0]
        #expect(error["target_name"] as? String == "localhost")
        #expect((error["error"] as? String)?.contains("refused") == true, "\(error)")
        let curl = try await runCommand(
            "/usr/bin/curl", ["-sS", "--socks5", "127.0.0.1:\(socksPort)", "http://127.0.0.1:1/"])
        #expect(curl.status != 0)
        socks.signal(SIGTERM)
        #expect(try await socks.waitExit() == 0)

        let http = try FlowtapProcess(["http-proxy-listen:0", "--json"])
        let httpPort = try await http.listeningPort()
        let forwarded = try await runCommand(
            "/usr/bin/curl",
            ["-sS", "-x", "http://127.0.0.1:\(httpPort)", "http://127.0.0.1:1/", "-w", "%{http_code}"])
        #expect(
            forwarded.out.hasPrefix("flowtap: cannot connect to 127.0.0.1:1: connection refused\n"),
            "\(forwarded.out)")
        #expect(forwarded.out.hasSuffix("502"))
        let tunnel = try await runCommand(
            "/usr/bin/curl", ["-sS", "-p", "-x", "http://127.0.0.1:\(httpPort)", "http://127.0.0.1:1/"])
        #expect(tunnel.err.contains("502"), "\(tunnel.err)")
        try await http.waitForEvents { named($0, "connect_error").count == 2 }
        http.signal(SIGTERM)
        #expect(try await http.waitExit() == 0)
    }

    @Test("malformed and stalled handshakes: the protocol's error, handshake_error, and the listener goes on")
    func malformed() async throws {
        let socks = try FlowtapProcess(["socks5-listen:0", "--json"])
        let port = try await socks.listeningPort()
        // A short time limit on a listener of its own: under load a whole handshake must not
        // meet it.
        let stalling = try FlowtapProcess(["socks5-listen:0", "--json", "--handshake-timeout", "1"])
        let stallingPort = try await stalling.listeningPort()
        // SOCKS4: no SOCKS5 answer, closed.
        let socks4 = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await socks4.write(ByteBuffer(bytes: [4, 1, 0, 80, 127, 0, 0, 1, 0]))
        #expect(await drain(socks4).bytes.isEmpty)
        await socks4.close(waitingAtMost: .seconds(2))
        // BIND: reply 7.
        let bind = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await bind.write(ByteBuffer(bytes: [5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80]))
        let bindAnswer = await drain(bind)
        #expect(Array(bindAnswer.bytes.prefix(4)) == [5, 0, 5, 7], "\(bindAnswer)")
        await bind.close(waitingAtMost: .seconds(2))
        // Stalled after the greeting: closed at the time limit.
        let stalled = try await Connector.connect(.tcp(host: "127.0.0.1", port: stallingPort))
        try await stalled.write(ByteBuffer(bytes: [5, 1, 0]))
        #expect(await drain(stalled).bytes == [5, 0])
        await stalled.close(waitingAtMost: .seconds(2))
        try await socks.waitForEvents { named($0, "handshake_error").count == 2 }
        let errors = named(socks.events, "handshake_error").compactMap { $0["error"] as? String }
        #expect(errors.contains { $0.contains("not SOCKS version 5") }, "\(errors)")
        #expect(errors.contains { $0.contains("unsupported command 2 (BIND)") }, "\(errors)")
        try await stalling.waitForEvents { named($0, "handshake_error").count == 1 }
        #expect(
            named(stalling.events, "handshake_error").first?["error"] as? String
                == "no complete socks5 handshake within 1.0 seconds")
        stalling.signal(SIGTERM)
        #expect(try await stalling.waitExit() == 0)
        // Still serving.
        let web = try await FileServer()
        defer { web.stop() }
        let curl = try await runCommand(
            "/usr/bin/curl", ["-sS", "--socks5", "127.0.0.1:\(port)", "http://127.0.0.1:\(web.port)/small"])
        #expect(curl.out == "small file\n")
        socks.signal(SIGTERM)
        #expect(try await socks.waitExit() == 0)

        let http = try FlowtapProcess(["http-proxy-listen:0", "--json"])
        let httpPort = try await http.listeningPort()
        let origin = try await Connector.connect(.tcp(host: "127.0.0.1", port: httpPort))
        try await origin.write(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        let answer = String(decoding: await drain(origin).bytes, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
        await origin.close(waitingAtMost: .seconds(2))
        try await http.waitForEvents { named($0, "handshake_error").count == 1 }
        http.signal(SIGTERM)
        #expect(try await http.waitExit() == 0)
    }

    @Test("200 concurrent SOCKS5 sessions to 20 different echo targets: every byte back, in order")
    func concurrent() async throws {
        var echoes: [LoopbackServer] = []
        for _ in 0..<20 { echoes.append(try await LoopbackServer.echo()) }
        let ports = echoes.map(\.port)
        let flowtap = try FlowtapProcess(["socks5-listen:0", "--json", "--decode", "none"])
        let port = try await flowtap.listeningPort()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        let client = try await socks5Connect(
                            proxyPort: port, targetPort: ports[index % ports.count])
                        var generator = SplitMix(seed: UInt64(index))
                        let payload = (0..<(16_384 + index * 97)).map { _ in generator.nextByte() }
                        async let echoed = drain(client)
                        try await client.write(ByteBuffer(bytes: payload))
                        await client.shutdownWrite()
                        let result = await echoed
                        await client.close(waitingAtMost: .seconds(5))
                        return result.bytes == payload && result.error == nil
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 0 : 1) }
        }
        #expect(failures == 0)
        try await flowtap.waitForEvents(timeout: 60) { named($0, "close").count == 200 }
        #expect(Set(named(flowtap.events, "open").compactMap { $0["target"] as? String }).count == 20)
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        for echo in echoes { await echo.close() }
    }

    @Test("--only: matching sessions observed, the others forwarded unseen and not counted by --once")
    func only() async throws {
        let seen = try await LoopbackServer.echo()
        let unseen = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess([
            "socks5-listen:0", "--json", "--once", "--only", "127.0.0.1:\(seen.port)",
        ])
        let port = try await flowtap.listeningPort()
        for target in [unseen.port, seen.port] {
            let client = try await socks5Connect(proxyPort: port, targetPort: target)
            try await client.write(ByteBuffer(string: "hello \(target)"))
            await client.shutdownWrite()
            #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "hello \(target)")
            await client.close(waitingAtMost: .seconds(2))
        }
        // --once ended with the observed session, the second; nothing of the first was reported.
        #expect(try await flowtap.waitExit() == 0)
        let conns = Set(flowtap.events.compactMap { $0["conn"] as? Int })
        #expect(conns == [2], "\(flowtap.output)")
        #expect(
            named(flowtap.events, "open", conn: 2).first?["target"] as? String == "127.0.0.1:\(seen.port)")
        await seen.close()
        await unseen.close()
    }

    @Test(
        "redis-cli under proxychains4 through socks5-listen with -w: resp decoded per session, replay without TARGET matches"
    )
    func redisThroughProxychains() async throws {
        guard let proxychains = Machine.executable(named: "proxychains4") else {
            Issue.record("proxychains4 is missing (apt-get install proxychains4; .ci/run installs it)")
            return
        }
        let redis = try await RedisServer()
        defer { redis.stop() }
        // redis-server listens on a Unix socket here (tests never pick TCP ports): a relay of
        // the test gives it a TCP port of its own.
        let relay = try await LoopbackServer { connection in
            guard let upstream = try? await Connector.connect(.unix(path: redis.path)) else {
                await connection.reset()
                return
            }
            _ = try? await proxy(connection, upstream)
            async let closing: Void = connection.close(waitingAtMost: .seconds(2))
            await upstream.close(waitingAtMost: .seconds(2))
            await closing
        }
        let file = CaptureTests.tempFile("socks-redis.pcapng")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let flowtap = try FlowtapProcess(["socks5-listen:0", "--json", "-w", file])
        let port = try await flowtap.listeningPort()
        let config = CaptureTests.tempFile("proxychains.conf")
        defer { try? FileManager.default.removeItem(atPath: config) }
        try "strict_chain\nquiet_mode\nproxy_dns\n[ProxyList]\nsocks5 127.0.0.1 \(port)\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let set = try await runCommand(
            proxychains,
            [
                "-q", "-f", config, "/usr/bin/redis-cli", "-h", "localhost", "-p", "\(relay.port)", "SET",
                "k", "hello",
            ])
        #expect(set.out == "OK\n", "\(set.out) \(set.err)")
        let get = try await runCommand(
            proxychains,
            ["-q", "-f", config, "/usr/bin/redis-cli", "-h", "127.0.0.1", "-p", "\(relay.port)", "GET", "k"])
        #expect(get.out == "hello\n", "\(get.out) \(get.err)")
        try await flowtap.waitForEvents { named($0, "close").count == 2 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let opens = named(flowtap.events, "open")
        #expect(
            opens.map { $0["target"] as? String } == ["127.0.0.1:\(relay.port)", "127.0.0.1:\(relay.port)"])
        // proxychains4 resolves a name of /etc/hosts itself: both requests name addresses.
        #expect(named(flowtap.events, "decoder").compactMap { $0["proto"] as? String } == ["resp", "resp"])

        let replay = try await runCommand(
            FlowtapProcess.binary, ["replay", file, "--session", "2", "--json"], timeout: 30)
        #expect(replay.status == 0, "\(replay.out)\n\(replay.err)")
        #expect(replay.out.contains("\"match\":true"), "\(replay.out)")
        await relay.close()
    }

    @Test(
        "faults and --break act on a proxy listener's sessions: slice=1 keeps the bytes exact, a held message goes on when resumed"
    )
    func faultsAndHolds() async throws {
        let echo = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess(
            [
                "socks5-listen:0", "--json", "--fault", "c2s:slice=1", "--break", "c2s:PING", "--decode",
                "lines",
            ],
            input: .pipe)
        let port = try await flowtap.listeningPort()
        let client = try await socks5Connect(proxyPort: port, targetPort: echo.port)
        try await client.write(ByteBuffer(string: "hello\nPING\n"))
        await client.shutdownWrite()
        // The PING line is held at its breakpoint: resumed by a headless command.
        try await flowtap.waitForEvents { events in
            events.contains { $0["event"] as? String == "pause" && $0["dir"] as? String == "c2s" }
        }
        try await flowtap.child.writeInput("{\"cmd\":\"resume\",\"conn\":1}\n")
        let back = await drain(client)
        #expect(String(decoding: back.bytes, as: UTF8.self) == "hello\nPING\n")
        await client.close(waitingAtMost: .seconds(2))
        try await flowtap.waitForEvents { !named($0, "close", conn: 1).isEmpty }
        #expect(named(flowtap.events, "fault", conn: 1).first?["fault"] as? String == "slice=1")
        // slice=1: the c2s bytes left one at a time.
        #expect(named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == "c2s" }.count >= 2)
        flowtap.child.closeInput()
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await echo.close()
    }

    @Test(
        "SIGTERM with a client stalled in its handshake: flowtap resets it after the grace, not at the time limit"
    )
    func stopDuringHandshake() async throws {
        let flowtap = try FlowtapProcess(["socks5-listen:0", "--json", "--handshake-timeout", "600"])
        let port = try await flowtap.listeningPort()
        let stalled = try await Connector.connect(.tcp(host: "127.0.0.1", port: port))
        try await stalled.write(ByteBuffer(bytes: [5, 1]))
        // The greeting is not whole: flowtap waits for the rest, a read is pending.
        try await Task.sleep(for: .milliseconds(200))
        flowtap.signal(SIGTERM)
        // A guard, not a measure: waiting for the 600 s limit would outlast waitExit's bound.
        #expect(try await flowtap.waitExit() == 0)
        let result = await drain(stalled)
        #expect(result.bytes.isEmpty)
        await stalled.close(waitingAtMost: .seconds(1))
    }
}

/// Opens a SOCKS5 CONNECT through flowtap at `proxyPort` to 127.0.0.1:`targetPort`, checking
/// each answer, and returns the connected flow; the target must not have spoken yet.
func socks5Connect(proxyPort: Int, targetPort: Int) async throws -> SocketFlow {
    let (flow, early) = try await socks5ConnectKeepingEarlyBytes(proxyPort: proxyPort, targetPort: targetPort)
    guard early.isEmpty else {
        await flow.reset()
        throw FlowError("session bytes with the SOCKS5 answer: \(early)")
    }
    return flow
}

/// ``socks5Connect(proxyPort:targetPort:)`` for a target that may speak first: its first bytes
/// can come in the same read as the SOCKS5 answer (TCP keeps no message boundaries), and are
/// returned with the flow.
func socks5ConnectKeepingEarlyBytes(proxyPort: Int, targetPort: Int) async throws -> (SocketFlow, [UInt8]) {
    let flow = try await Connector.connect(.tcp(host: "127.0.0.1", port: proxyPort))
    try await flow.write(
        ByteBuffer(bytes: [
            5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, UInt8(targetPort >> 8), UInt8(targetPort & 0xff),
        ]))
    var answer: [UInt8] = []
    while answer.count < 12 {
        guard case .data(let chunk) = try await flow.read() else { break }
        answer += chunk.readableBytesView
    }
    guard answer.count >= 12, Array(answer.prefix(4)) == [5, 0, 5, 0] else {
        await flow.reset()
        throw FlowError("SOCKS5 answer \(answer)")
    }
    return (flow, Array(answer.dropFirst(12)))
}

/// SplitMix64, for payloads that differ per client.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextByte() -> UInt8 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

/// Python's http.server (HTTP/1.1, keep-alive) on a free port of `host`, serving a folder with
/// `blob` (2 MiB of random bytes) and `small` ("small file\n"); it prints each request line.
final class FileServer: Sendable {
    let child: ChildProcess
    let folder: String
    let port: Int
    /// Where a test downloads `blob` to.
    var downloaded: String { folder + "/downloaded" }

    static let script = """
        import http.server, socket, sys, functools
        class Handler(http.server.SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, format, *args):
                print(self.requestline, flush=True)
        class Server(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        server = Server((sys.argv[1], 0), functools.partial(Handler, directory=sys.argv[2]))
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    init(host: String = "127.0.0.1") async throws {
        folder = NSTemporaryDirectory() + "flowtap-proxy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/served", withIntermediateDirectories: true)
        var generator = SplitMix(seed: 16)
        let blob = Data((0..<(2 << 20)).map { _ in generator.nextByte() })
        try blob.write(to: URL(fileURLWithPath: folder + "/served/blob"))
        try Data("small file\n".utf8).write(to: URL(fileURLWithPath: folder + "/served/small"))
        child = try ChildProcess("/usr/bin/python3", ["-c", Self.script, host, folder + "/served"])
        var found: Int?
        for _ in 0..<1000 {
            if let line = child.outputLines.first, let number = Int(line) {
                found = number
                break
            }
            if let status = child.exitStatus {
                Issue.record("python3 exited with \(status): \(child.standardError)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let found else {
            Issue.record("the HTTP server never printed its port")
            throw CancellationError()
        }
        port = found
    }

    /// Whether `downloaded` holds exactly `blob`.
    func downloadedMatches() throws -> Bool {
        let got = try Data(contentsOf: URL(fileURLWithPath: downloaded))
        let want = try Data(contentsOf: URL(fileURLWithPath: folder + "/served/blob"))
        return got == want
    }

    /// Waits (bounded) until the server printed `line`.
    func waitForRequest(_ line: String) async throws {
        for _ in 0..<1000 {
            if child.outputLines.contains(line) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the server never logged \(line): \(child.outputLines)")
    }

    func stop() {
        child.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

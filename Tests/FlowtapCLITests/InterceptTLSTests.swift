import FlowCore
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// `--intercept-tls` on a proxy listener (issue 16 item 3), end to end with the real binary:
/// curl through `http-proxy-listen:` to a Python HTTPS server with a test CA, and a plain
/// tunnel through the same listener.
@Suite(
    "flowtap --intercept-tls: HTTPS through a proxy listener in plaintext, other sessions untouched",
    .leavesNoProcesses)
struct InterceptTLSTests {
    @Test(
        "curl -x with https: both handshakes reported, the request and answer in plaintext in JSON and the capture; a plain tunnel passes as it is"
    )
    func httpsThroughHTTPProxy() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let marker = "flowtap-intercept-\(UInt32.random(in: 0...UInt32.max))"
        let (https, httpsPort) = try await TLSPeer.https(folder, body: marker)
        defer { https.stop() }
        let web = try await FileServer()
        defer { web.stop() }
        let capture = folder.path + "/intercepted.pcapng"
        let flowtap = try FlowtapProcess([
            "http-proxy-listen:0", "--intercept-tls", "--tls-ca", folder.caFile, "--ca-dir", folder.flowtapCA,
            "-w", capture, "--json",
        ])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "/usr/bin/curl",
            [
                "-sS", "--http1.1", "-x", "http://127.0.0.1:\(port)", "--cacert",
                folder.flowtapCA + "/ca.pem",
                "https://localhost:\(httpsPort)/",
            ])
        #expect(curl.status == 0, "curl: \(curl.err)")
        #expect(curl.out == marker)
        // A plain HTTP tunnel through the same listener: its bytes pass untouched.
        let tunnel = try await runCommand(
            "/usr/bin/curl",
            [
                "-sS", "-p", "-x", "http://127.0.0.1:\(port)", "http://127.0.0.1:\(web.port)/blob", "-o",
                web.downloaded,
            ])
        #expect(tunnel.status == 0, "curl: \(tunnel.err)")
        #expect(try web.downloadedMatches())
        try await flowtap.waitForEvents { !named($0, "close", conn: 2).isEmpty }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        // Session 1: the server's handshake first (the client's ALPN offered), then the client's,
        // both before open; the messages are the plaintext HTTP.
        let tls = named(events, "tls", conn: 1)
        #expect(tls.map { $0["side"] as? String } == ["server", "client"], "\(tls)")
        #expect(tls.first?["sni"] as? String == "localhost")
        #expect(tls.first?["verified"] as? Bool == true)
        // The cipher of each leg, read from its ServerHello (the proxy's answer before it is not one).
        for leg in tls { #expect((leg["cipher"] as? String)?.hasPrefix("TLS_") == true, "\(leg)") }
        #expect(Array(sequence(events, conn: 1).prefix(3)) == ["tls", "tls", "open"])
        let messages = named(events, "message", conn: 1).compactMap { $0["summary"] as? String }
        #expect(messages.contains("GET / HTTP/1.1"), "\(messages)")
        #expect(messages.contains("HTTP/1.1 200 OK"), "\(messages)")
        // Session 2: no TLS, the plain request as curl sent it.
        #expect(named(events, "tls", conn: 2).isEmpty)
        #expect(named(events, "tls_error").isEmpty)
        let plain = named(events, "message", conn: 2).compactMap { $0["summary"] as? String }
        #expect(plain.contains("GET /blob HTTP/1.1"), "\(plain)")
        // The capture holds the plaintext of both: tshark dissects both requests.
        let dissected = try await runCommand(
            "tshark", ["-r", capture, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri"])
        #expect(dissected.out.split(separator: "\n").sorted() == ["/", "/blob"], "\(dissected.out)")
    }

    @Test("an upstream whose certificate is not trusted: tls_error on the server side, curl is not served")
    func untrustedUpstream() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (https, httpsPort) = try await TLSPeer.https(folder, body: "never")
        defer { https.stop() }
        // No --tls-ca: the test CA is not in the system's trust store.
        let flowtap = try FlowtapProcess([
            "socks5-listen:0", "--intercept-tls", "--ca-dir", folder.flowtapCA, "--json",
        ])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "/usr/bin/curl",
            [
                "-sS", "--socks5-hostname", "127.0.0.1:\(port)", "--cacert", folder.flowtapCA + "/ca.pem",
                "https://localhost:\(httpsPort)/",
            ])
        #expect(curl.status != 0)
        #expect(!curl.out.contains("never"))
        try await flowtap.waitForEvents { !named($0, "tls_error").isEmpty }
        let error = named(flowtap.events, "tls_error").first
        #expect(error?["side"] as? String == "server", "\(String(describing: error))")
        #expect(named(flowtap.events, "open").isEmpty)
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }

    @Test(
        "a server that speaks first (a banner) through SOCKS5: the banner reaches the client at once, the session is plain"
    )
    func serverFirst() async throws {
        let banner = "220 banner before any client byte\r\n"
        let server = try await LoopbackServer { connection in
            try? await connection.write(ByteBuffer(string: banner))
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                try? await connection.write(chunk)
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(2))
        }
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let flowtap = try FlowtapProcess([
            "socks5-listen:0", "--intercept-tls", "--ca-dir", folder.flowtapCA, "--json",
        ])
        let port = try await flowtap.listeningPort()
        let (client, early) = try await socks5ConnectKeepingEarlyBytes(
            proxyPort: port, targetPort: server.port)
        // The banner may come with the SOCKS5 answer, or in pieces after it.
        var got = early
        while got.count < banner.utf8.count, case .data(let chunk) = try await boundedRead(client) {
            got += chunk.readableBytesView
        }
        #expect(String(decoding: got, as: UTF8.self) == banner)
        try await client.write(ByteBuffer(string: "EHLO me\r\n"))
        #expect(text(try await boundedRead(client)) == "EHLO me\r\n")
        await client.shutdownWrite()
        #expect(try await boundedRead(client) == .eof)
        await client.close()
        try await flowtap.waitForEvents { !named($0, "close", conn: 1).isEmpty }
        #expect(named(flowtap.events, "tls", conn: 1).isEmpty)
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await server.close()
    }

    @Test("--intercept-tls without a proxy listener is a usage error")
    func needsProxyListener() async throws {
        let result = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "--intercept-tls"])
        #expect(result.status == 2)
        #expect(result.err.contains("--intercept-tls goes with a proxy listener"), "\(result.err)")
    }
}

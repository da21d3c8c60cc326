import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// TLS end to end through the real binary (issue 15), with Python's `ssl` (OpenSSL) as client
/// and server, certificates made by `openssl`, and flowtap's own CA in a folder of the test.
@Suite("flowtap proxy: TLS end to end", .leavesNoProcesses)
struct TLSTests {
    /// `tls-listen → tls`: random sizes both ways, each direction's end a close_notify passed on
    /// as one (the client's first, the server answering after it), ALPN the server's choice.
    @Test(
        "tls-listen → tls: plaintext exact both ways, close_notify passed on both ways, ALPN the server's choice"
    )
    func throughBothLegs() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        var generator = SystemRandomNumberGenerator()
        let up = Int.random(in: 1...300_000, using: &generator)
        let down = Int.random(in: 1...300_000, using: &generator)
        let (server, port) = try await TLSPeer.server(folder, size: down, seed: 2, alpn: "h2,http/1.1")
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--tls-ca", folder.caFile, "--ca-dir", folder.flowtapCA,
            "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        let client = try await TLSPeer.client(
            folder, port: listening, caFile: folder.flowtapCA + "/ca.pem", size: up, seed: 1,
            alpn: "http/1.1,h2")
        #expect(try await flowtap.waitExit() == 0)
        _ = try await server.waitForExit(timeout: .seconds(20))
        let served = try #require(TLSPeer.report(server))
        #expect(client["error"] == nil)
        #expect(served["received_len"] as? Int == up)
        #expect(served["received_sha"] as? String == client["sent_sha"] as? String)
        #expect(client["received_len"] as? Int == down)
        #expect(client["received_sha"] as? String == served["sent_sha"] as? String)
        // Each side read the other's close_notify: the FINs were passed on as TLS ends.
        #expect(served["clean"] as? Bool == true)
        #expect(client["clean"] as? Bool == true)
        // The server chose h2 from the list the client offered (in its own order): both got it.
        #expect(served["alpn"] as? String == "h2")
        #expect(client["alpn"] as? String == "h2")
        let events = flowtap.events
        let tls = named(events, "tls", conn: 1)
        let clientSide = try #require(tls.first { $0["side"] as? String == "client" })
        let serverSide = try #require(tls.first { $0["side"] as? String == "server" })
        #expect(clientSide["sni"] as? String == "localhost")
        #expect(clientSide["alpn"] as? String == "h2")
        #expect((clientSide["version"] as? String)?.hasPrefix("TLSv1.") == true)
        #expect((clientSide["cipher"] as? String)?.hasPrefix("TLS_") == true)
        #expect(serverSide["verified"] as? Bool == true)
        #expect(serverSide["subject"] as? String == "CN=localhost")
        #expect(serverSide["issuer"] as? String == "CN=flowtap test CA")
        #expect((serverSide["expiry"] as? Int ?? 0) > Int(Date().timeIntervalSince1970))
        #expect(serverSide["alpn"] as? String == "h2")
        let order = sequence(events, conn: 1)
        #expect(order.prefix(3) == ["tls", "tls", "open"])
        #expect(order.contains("shutdown c2s") && order.contains("shutdown s2c"))
        #expect(order.firstIndex(of: "shutdown c2s")! < order.firstIndex(of: "data s2c")!)
        #expect(named(events, "tls_error").isEmpty)
    }

    @Test("a client's TCP FIN without close_notify reaches the server as a bare FIN, reported as truncation")
    func bareFinPassedOn() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (server, port) = try await TLSPeer.server(folder, size: 1000, seed: 4)
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--tls-ca", folder.caFile, "--ca-dir", folder.flowtapCA,
            "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        let client = try await TLSPeer.client(
            folder, port: listening, caFile: folder.flowtapCA + "/ca.pem", size: 5000, seed: 3, bare: true)
        #expect(try await flowtap.waitExit() == 0)
        _ = try await server.waitForExit(timeout: .seconds(20))
        let served = try #require(TLSPeer.report(server))
        #expect(served["received_len"] as? Int == 5000)
        #expect(served["clean"] as? Bool == false)
        #expect(client["received_len"] as? Int == 1000)
        #expect(client["clean"] as? Bool == true)
        let errors = named(flowtap.events, "tls_error", conn: 1)
        #expect(errors.count == 1)
        #expect(errors.first?["side"] as? String == "client")
        #expect((errors.first?["error"] as? String)?.contains("without close_notify") == true)
    }

    @Test("an upstream whose certificate is not trusted: tls_error with what to do, the client is not served")
    func untrustedUpstream() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (server, port) = try await TLSPeer.server(folder, size: 10, seed: 5)
        defer { server.stop() }
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--ca-dir", folder.flowtapCA, "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        let client = try await TLSPeer.client(
            folder, port: listening, caFile: folder.flowtapCA + "/ca.pem", size: 10, seed: 6)
        #expect(client["error"] != nil)
        #expect(client["received_len"] == nil)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        let error = try #require(named(events, "tls_error", conn: 1).first)
        #expect(error["side"] as? String == "server")
        #expect((error["error"] as? String)?.contains("not trusted") == true)
        #expect((error["error"] as? String)?.contains("--tls-ca") == true)
        #expect(named(events, "open").isEmpty)
        #expect(named(events, "tls").isEmpty)
    }

    @Test("--insecure connects to an untrusted upstream and says so in the tls event")
    func insecure() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (server, port) = try await TLSPeer.server(folder, size: 777, seed: 7)
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--insecure", "--ca-dir", folder.flowtapCA, "--json",
            "--once",
        ])
        let listening = try await flowtap.listeningPort()
        let client = try await TLSPeer.client(
            folder, port: listening, caFile: folder.flowtapCA + "/ca.pem", size: 99, seed: 8)
        #expect(client["received_len"] as? Int == 777)
        #expect(try await flowtap.waitExit() == 0)
        _ = try await server.waitForExit(timeout: .seconds(20))
        let serverSide = try #require(
            named(flowtap.events, "tls", conn: 1).first { $0["side"] as? String == "server" })
        #expect(serverSide["verified"] as? Bool == false)
    }

    @Test(
        "a client that does not trust flowtap's CA: tls_error on the client side naming ca.pem; the server is reset"
    )
    func clientRejectsCertificate() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (server, port) = try await TLSPeer.server(folder, size: 10, seed: 9)
        defer { server.stop() }
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--tls-ca", folder.caFile, "--ca-dir", folder.flowtapCA,
            "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        // The client trusts the test CA, not flowtap's.
        let client = try await TLSPeer.client(
            folder, port: listening, caFile: folder.caFile, size: 10, seed: 10)
        #expect(client["error"] != nil)
        #expect(try await flowtap.waitExit() == 0)
        let error = try #require(named(flowtap.events, "tls_error", conn: 1).first)
        #expect(error["side"] as? String == "client")
        #expect((error["error"] as? String)?.contains(folder.flowtapCA + "/ca.pem") == true, "\(error)")
        // The session's only event names its client, as a failed connect does.
        #expect((error["client"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(error)")
        #expect(named(flowtap.events, "open").isEmpty)
        _ = try await server.waitForExit(timeout: .seconds(20))
        // The server peer saw its connection end without a close_notify of flowtap's.
        #expect(TLSPeer.report(server)?["clean"] as? Bool != true)
    }

    @Test("tcp-listen → tls: a plaintext client in front of a TLS server")
    func plaintextClientToTLSServer() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let (server, port) = try await TLSPeer.server(folder, size: 4321, seed: 11)
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", "tls:localhost:\(port)", "--tls-ca", folder.caFile, "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        let client = try await connect(listening)
        var sent: [UInt8] = []
        for i in 0..<3000 { sent.append(UInt8(truncatingIfNeeded: i &* 7)) }
        try await client.write(.init(bytes: sent))
        await client.shutdownWrite()
        let reply = await drain(client)
        #expect(reply.bytes.count == 4321)
        #expect(reply.error == nil)
        await client.close()
        #expect(try await flowtap.waitExit() == 0)
        _ = try await server.waitForExit(timeout: .seconds(20))
        let served = try #require(TLSPeer.report(server))
        #expect(served["received_len"] as? Int == 3000)
        #expect(served["clean"] as? Bool == true)
        #expect(named(flowtap.events, "tls", conn: 1).count == 1)
    }

    @Test(
        "curl --cacert through tls-listen → tls: plaintext in JSON and the capture, view shows the tls events, the key log decrypts the wire"
    )
    func curlCaptureAndKeyLog() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let marker = "flowtap-tls-\(UInt32.random(in: 0...UInt32.max))"
        let (server, port) = try await TLSPeer.https(folder, body: marker)
        defer { server.stop() }
        let keyLog = folder.path + "/keys.txt"
        let capture = folder.path + "/session.pcapng"
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(port)", "--tls-ca", folder.caFile, "--ca-dir", folder.flowtapCA,
            "--keylog", keyLog, "-w", capture, "--json", "--once",
        ])
        let listening = try await flowtap.listeningPort()
        // The real wire, captured on lo while it happens (skipped where capturing is refused).
        let wire = folder.path + "/wire.pcapng"
        let capturing = try await WireCapture.start(ports: [listening, port], into: wire)
        let curl = try await runCommand(
            "curl",
            ["-sS", "--http1.1", "--cacert", folder.flowtapCA + "/ca.pem", "https://localhost:\(listening)/"])
        #expect(curl.status == 0, "\(curl.err)")
        #expect(curl.out == marker)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        let messages = named(events, "message", conn: 1).compactMap { $0["summary"] as? String }
        #expect(messages.contains("GET / HTTP/1.1"))
        #expect(messages.contains("HTTP/1.1 200 OK"))
        // The capture: plaintext that tshark dissects, and the tls events that view gives back.
        let dissected = try await runCommand(
            "tshark", ["-r", capture, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri"])
        #expect(dissected.out == "/\n")
        let view = try await runCommand(FlowtapProcess.binary, ["view", capture, "--json"])
        #expect(view.out.components(separatedBy: "\"event\":\"tls\"").count - 1 == 2)
        // Both legs' keys are in the key log.
        let keys = try String(contentsOfFile: keyLog, encoding: .utf8)
        #expect(keys.components(separatedBy: "CLIENT_TRAFFIC_SECRET_0 ").count - 1 == 2)
        if case .running(let dumpcap) = capturing {
            dumpcap.signal(SIGINT)
            _ = try await dumpcap.waitForExit(timeout: .seconds(10))
            let decrypted = try await runCommand(
                "tshark",
                [
                    "-r", wire, "-o", "tls.keylog_file:\(keyLog)", "-Y", "http.request", "-T", "fields", "-e",
                    "tcp.dstport",
                ])
            // The client's request to flowtap and flowtap's to the server, both read in the clear.
            #expect(
                Set(decrypted.out.split(separator: "\n").map(String.init)) == ["\(listening)", "\(port)"],
                "\(decrypted)")
        } else if case .refused(let reason) = capturing {
            print("skipped the key log check on the wire: dumpcap cannot capture on lo here (\(reason))")
        }
    }

    @Test(
        "redis-server --tls-port behind tls-listen → tls: redis-cli --tls gets its answers, decoded as RESP",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"))
    )
    func redisOverTLS() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        // redis-server cannot listen on port 0: a random port, again on failure, checked by a
        // real TLS handshake (redis-cli --tls PING).
        var redis: ChildProcess?
        var redisPort = 0
        attempts: for _ in 0..<10 {
            let port = Int.random(in: 20000...59999)
            let child = try ChildProcess(
                "/usr/bin/redis-server",
                [
                    "--port", "0", "--tls-port", "\(port)", "--bind", "127.0.0.1", "--tls-cert-file",
                    folder.certificate, "--tls-key-file", folder.key, "--tls-ca-cert-file", folder.caFile,
                    "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
                ])
            for _ in 0..<50 {
                if try await child.waitForExit(timeout: .milliseconds(50)) != nil { continue attempts }
                let ping = try await runCommand(
                    "/usr/bin/redis-cli", ["--tls", "--cacert", folder.caFile, "-p", "\(port)", "PING"])
                if ping.out == "PONG\n" {
                    redis = child
                    redisPort = port
                    break attempts
                }
            }
            child.stop()
        }
        let server = try #require(redis, "redis-server did not start with TLS")
        defer { server.stop() }
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(redisPort)", "--tls-ca", folder.caFile, "--ca-dir",
            folder.flowtapCA,
            "--json",
        ])
        let port = try await flowtap.listeningPort()
        let cli = ["--tls", "--cacert", folder.flowtapCA + "/ca.pem", "--sni", "localhost", "-p", "\(port)"]
        let set = try await runCommand("/usr/bin/redis-cli", cli + ["SET", "k", "over tls"])
        #expect(set.out == "OK\n", "\(set)")
        let get = try await runCommand("/usr/bin/redis-cli", cli + ["GET", "k"])
        #expect(get.out == "over tls\n", "\(get)")
        try await flowtap.waitForEvents { named($0, "close").count == 2 }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        let events = flowtap.events
        #expect(named(events, "decoder", conn: 1).first?["proto"] as? String == "resp")
        #expect(
            messages(events, conn: 1, "c2s").contains {
                $0["summary"] as? String == "SET k \"over tls\""
                    || $0["summary"] as? String == "SET k over tls"
            })
        #expect(
            messages(events, conn: 2, "s2c").contains {
                ($0["summary"] as? String)?.contains("over tls") == true
            })
        for conn in [1, 2] {
            #expect(named(events, "tls", conn: conn).count == 2)
            // redis-cli (hiredis) closes TCP without close_notify: reported, passed on bare.
            #expect(
                named(events, "tls_error", conn: conn).map { $0["side"] as? String } == ["client"],
                "\(named(events, "tls_error", conn: conn))")
        }
    }

    @Test(
        "curl --http2 through tls-listen → tls to nghttpd: h2 agreed on both legs, the answer whole",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd"))
    )
    func curlHTTP2() async throws {
        let folder = try await TLSPeer.Folder.make()
        defer { folder.remove() }
        let marker = "h2 through flowtap \(UInt32.random(in: 0...UInt32.max))\n"
        try marker.write(toFile: folder.path + "/index.html", atomically: true, encoding: .utf8)
        // nghttpd cannot report a port 0: a random port, again on failure, checked with curl.
        var server: ChildProcess?
        var serverPort = 0
        attempts: for _ in 0..<10 {
            let port = Int.random(in: 20000...59999)
            let child = try ChildProcess(
                "/usr/sbin/nghttpd",
                ["-d", folder.path, "--address=127.0.0.1", "\(port)", folder.key, folder.certificate])
            for _ in 0..<50 {
                if try await child.waitForExit(timeout: .milliseconds(50)) != nil { continue attempts }
                let probe = try await runCommand(
                    "curl",
                    ["-sS", "--http2", "--cacert", folder.caFile, "https://localhost:\(port)/index.html"])
                if probe.out == marker {
                    server = child
                    serverPort = port
                    break attempts
                }
            }
            child.stop()
        }
        let nghttpd = try #require(server, "nghttpd did not start")
        defer { nghttpd.stop() }
        let flowtap = try FlowtapProcess([
            "tls-listen:0", "tls:localhost:\(serverPort)", "--tls-ca", folder.caFile, "--ca-dir",
            folder.flowtapCA,
            "--json", "--once",
        ])
        let port = try await flowtap.listeningPort()
        let curl = try await runCommand(
            "curl",
            [
                "-sS", "--http2", "--cacert", folder.flowtapCA + "/ca.pem", "-w", "%{http_version}",
                "https://localhost:\(port)/index.html",
            ])
        #expect(curl.status == 0, "\(curl.err)")
        #expect(curl.out == marker + "2")
        #expect(try await flowtap.waitExit() == 0)
        let tls = named(flowtap.events, "tls", conn: 1)
        #expect(tls.count == 2)
        #expect(tls.allSatisfy { $0["alpn"] as? String == "h2" }, "\(tls)")
    }

    @Test(
        "flowtap ca: prints ca.pem's path alone, creates ca.key with mode 0600, and keeps one CA when run at once"
    )
    func certificateAuthority() async throws {
        let folder = NSTemporaryDirectory() + "flowtap-ca-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = folder + "/nested/ca"
        async let first = runCommand(FlowtapProcess.binary, ["ca", "--ca-dir", directory])
        async let second = runCommand(FlowtapProcess.binary, ["ca", "--ca-dir", directory])
        async let third = runCommand(FlowtapProcess.binary, ["ca", "--ca-dir", directory])
        let results = try await [first, second, third]
        for result in results {
            #expect(result.status == 0)
            #expect(result.out == directory + "/ca.pem\n")
            #expect(result.err.contains("--cacert"))
        }
        #expect(results.filter { $0.err.hasPrefix("created") }.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/ca.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let pem = try String(contentsOfFile: directory + "/ca.pem", encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let again = try await runCommand(FlowtapProcess.binary, ["ca", "--ca-dir", directory])
        #expect(again.err.hasPrefix("using"))
        #expect(try String(contentsOfFile: directory + "/ca.pem", encoding: .utf8) == pem)
        // openssl agrees it is a CA certificate.
        let text = try await runCommand("openssl", ["x509", "-in", directory + "/ca.pem", "-noout", "-text"])
        #expect(text.out.contains("CA:TRUE"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty)
    }
}

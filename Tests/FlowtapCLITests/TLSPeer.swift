import Foundation
import TestSupport
import Testing

/// Real TLS peers for the TLS tests: Python's `ssl` module (OpenSSL) over a plain socket with
/// memory BIOs, so that each side controls exactly when its `close_notify` and its TCP FIN go
/// (Python's socket wrapper cannot half-close). Certificates come from `openssl req`.
///
/// `server CERT KEY SIZE SEED [ALPN,…]`: listens on 127.0.0.1:0 and prints `{"port":N}`; for
/// one client: reads to its end (clean with close_notify, or a bare FIN), then sends SIZE
/// seeded random bytes, `close_notify` and FIN, reads to the end again, and prints a JSON
/// report (`received_len`, `received_sha`, `sent_sha`, `clean`, `alpn`).
/// `client PORT CAFILE NAME SIZE SEED [ALPN,…] [bare]`: connects, handshakes with SNI NAME,
/// sends SIZE bytes, then `close_notify` and FIN (or, with `bare`, a FIN alone), reads to the
/// end and prints the same report, or `{"error": …}` when the handshake fails.
enum TLSPeer {
    static let script = #"""
        import hashlib, json, random, socket, ssl, sys

        def pump(sock, out):
            data = out.read()
            if data:
                sock.sendall(data)

        def handshake(obj, sock, inc, out):
            while True:
                try:
                    obj.do_handshake()
                    pump(sock, out)
                    return
                except ssl.SSLWantReadError:
                    pump(sock, out)
                    data = sock.recv(65536)
                    if not data:
                        raise EOFError("end of stream during the handshake")
                    inc.write(data)

        def write_all(obj, sock, out, data):
            view = memoryview(data)
            while view:
                n = obj.write(view[:16384])
                view = view[n:]
                pump(sock, out)

        def read_all(obj, sock, inc, out):
            got = bytearray()
            while True:
                try:
                    chunk = obj.read(65536)
                    if not chunk:
                        return got, True
                    got += chunk
                except ssl.SSLZeroReturnError:
                    return got, True
                except ssl.SSLWantReadError:
                    pump(sock, out)
                    data = sock.recv(65536)
                    if not data:
                        return got, False
                    inc.write(data)

        def finish(obj, sock, out, bare):
            if not bare:
                try:
                    obj.unwrap()
                except ssl.SSLWantReadError:
                    pass
                pump(sock, out)
            sock.shutdown(socket.SHUT_WR)

        def alpn_list(text):
            return [p for p in text.split(",") if p] if text and text != "-" else []

        mode = sys.argv[1]
        if mode == "https":
            import http.server
            cert, key, body = sys.argv[2], sys.argv[3], sys.argv[4].encode()
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            context.set_alpn_protocols(["http/1.1"])
            httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
            print(json.dumps({"port": httpd.server_address[1]}), flush=True)
            httpd.serve_forever()
        if mode == "server":
            cert, key, size, seed = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
            alpn = alpn_list(sys.argv[6] if len(sys.argv) > 6 else "")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            if alpn:
                context.set_alpn_protocols(alpn)
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
            sock, _ = listener.accept()
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = context.wrap_bio(inc, out, server_side=True)
            try:
                handshake(obj, sock, inc, out)
            except Exception as error:
                print(json.dumps({"error": str(error)}), flush=True)
                sys.exit(0)
            received, clean = read_all(obj, sock, inc, out)
            payload = random.Random(seed).randbytes(size)
            write_all(obj, sock, out, payload)
            finish(obj, sock, out, False)
            while sock.recv(65536):
                pass
            print(json.dumps({"received_len": len(received), "received_sha": hashlib.sha256(received).hexdigest(),
                              "sent_sha": hashlib.sha256(payload).hexdigest(), "clean": clean,
                              "alpn": obj.selected_alpn_protocol()}), flush=True)
        else:
            port, cafile, name, size, seed = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
            alpn = alpn_list(sys.argv[7] if len(sys.argv) > 7 else "")
            bare = len(sys.argv) > 8 and sys.argv[8] == "bare"
            context = ssl.create_default_context(cafile=cafile)
            if alpn:
                context.set_alpn_protocols(alpn)
            sock = socket.create_connection(("127.0.0.1", port))
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = context.wrap_bio(inc, out, server_hostname=name)
            try:
                handshake(obj, sock, inc, out)
            except Exception as error:
                print(json.dumps({"error": str(error)}), flush=True)
                sys.exit(0)
            payload = random.Random(seed).randbytes(size)
            write_all(obj, sock, out, payload)
            finish(obj, sock, out, bare)
            try:
                received, clean = read_all(obj, sock, inc, out)
            except Exception as error:
                print(json.dumps({"error": "after the handshake: " + str(error)}), flush=True)
                sys.exit(0)
            print(json.dumps({"received_len": len(received), "received_sha": hashlib.sha256(received).hexdigest(),
                              "sent_sha": hashlib.sha256(payload).hexdigest(), "clean": clean,
                              "alpn": obj.selected_alpn_protocol(), "version": obj.version()}), flush=True)
        """#

    /// A folder with the script and a test CA and server certificate for `localhost` and
    /// 127.0.0.1 (`ca.pem`, `server.pem`, `server.key`), made by `openssl`; removed by
    /// ``remove()``.
    struct Folder {
        let path: String
        var script: String { path + "/tls_peer.py" }
        var caFile: String { path + "/ca.pem" }
        var certificate: String { path + "/server.pem" }
        var key: String { path + "/server.key" }
        /// A folder for flowtap's own CA.
        var flowtapCA: String { path + "/flowtap-ca" }

        static func make() async throws -> Folder {
            let path = NSTemporaryDirectory() + "flowtap-tls-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let folder = Folder(path: path)
            try TLSPeer.script.write(toFile: folder.script, atomically: true, encoding: .utf8)
            try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
                toFile: path + "/san.ext", atomically: true, encoding: .utf8)
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            for command in [
                ["req", "-x509"] + ec + [
                    "-keyout", path + "/ca.key", "-out", folder.caFile, "-days", "2", "-subj",
                    "/CN=flowtap test CA",
                ],
                ["req"] + ec + [
                    "-keyout", folder.key, "-out", path + "/server.csr", "-subj", "/CN=localhost",
                ],
                [
                    "x509", "-req", "-in", path + "/server.csr", "-CA", folder.caFile, "-CAkey",
                    path + "/ca.key",
                    "-CAcreateserial", "-out", folder.certificate, "-days", "2", "-extfile",
                    path + "/san.ext",
                ],
            ] {
                let result = try await runCommand("openssl", command)
                try #require(result.status == 0, "openssl \(command.joined(separator: " ")): \(result.err)")
            }
            return folder
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The last JSON object a peer printed.
    static func report(_ child: ChildProcess) -> [String: Any]? {
        child.outputLines.reversed().lazy.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.first { $0["port"] == nil }
    }

    /// Starts a Python HTTPS server (HTTP/1.1, ALPN `http/1.1`) answering every GET with `body`.
    static func https(_ folder: Folder, body: String) async throws -> (ChildProcess, Int) {
        try await started(
            ChildProcess("python3", [folder.script, "https", folder.certificate, folder.key, body]))
    }

    /// Waits for a peer's `{"port":N}` line.
    static func started(_ child: ChildProcess) async throws -> (ChildProcess, Int) {
        for _ in 0..<1000 {
            if let line = child.outputLines.first,
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let port = object["port"] as? Int
            {
                return (child, port)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the TLS peer did not start: \(child.standardError)")
        throw CancellationError()
    }

    /// Starts the server peer and returns it with its port.
    static func server(
        _ folder: Folder, size: Int, seed: Int, alpn: String = "-"
    ) async throws -> (ChildProcess, Int) {
        try await started(
            ChildProcess(
                "python3",
                [folder.script, "server", folder.certificate, folder.key, "\(size)", "\(seed)", alpn]))
    }

    /// Runs the client peer to its end and returns its report.
    static func client(
        _ folder: Folder, port: Int, caFile: String, name: String = "localhost", size: Int, seed: Int,
        alpn: String = "-", bare: Bool = false
    ) async throws -> [String: Any] {
        let result = try await runCommand(
            "python3",
            [folder.script, "client", "\(port)", caFile, name, "\(size)", "\(seed)", alpn]
                + (bare ? ["bare"] : []))
        let line = result.out.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            Issue.record("the TLS client peer printed no report: \(result.out) \(result.err)")
            throw CancellationError()
        }
        return object
    }
}

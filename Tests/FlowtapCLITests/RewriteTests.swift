import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

@Suite("flowtap proxy --rewrite through the real binary", .serialized, .leavesNoProcesses)
struct RewriteTests {
    @Test("the peer receives exactly the rewritten bytes, a rewrite event is printed, the capture notes it")
    func rewriteAgainstEcho() async throws {
        let received = Mutex<[UInt8]>([])
        let echo = try await LoopbackServer { connection in
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                received.withLock { $0 += chunk.readableBytesView }
                do { try await connection.write(chunk) } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let file = CaptureTests.tempFile("rewrite.pcapng")
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", echo.target, "--json", "--once", "-w", file,
            "--rewrite", #"c2s:Host: a\r\n=Host: bb\r\n"#, "--rewrite", #"s2c:\x00=\t"#,
        ])
        let port = try await flowtap.listeningPort()
        let client = try await connect(port)
        let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8) + [0x00, 0xff]
        try await client.write(ByteBuffer(bytes: request))
        await client.shutdownWrite()
        let back = await drain(client).bytes
        await client.close(waitingAtMost: .seconds(2))
        #expect(try await flowtap.waitExit() == 0)

        let rewritten = Array("GET / HTTP/1.1\r\nHost: bb\r\n\r\n".utf8) + [0x00, 0xff]
        #expect(received.withLock { $0 } == rewritten)
        #expect(back == Array("GET / HTTP/1.1\r\nHost: bb\r\n\r\n".utf8) + [0x09, 0xff])

        let rewrites = named(flowtap.events, "rewrite")
        let c2s = try #require(rewrites.first { $0["dir"] as? String == "c2s" })
        #expect(c2s["conn"] as? Int == 1)
        #expect(c2s["count"] as? Int == 1)
        #expect(c2s["original_bytes"] as? Int == request.count)
        #expect(c2s["bytes"] as? Int == rewritten.count)
        // The rewrite comes just before the data it changed, and the data is the rewritten size
        // (decoded as HTTP, the chunk leaves cut after the request's head: `--decode` decodes
        // what is forwarded).
        let order = sequence(flowtap.events, conn: 1)
        #expect(order.firstIndex(of: "rewrite c2s")! + 1 == order.firstIndex(of: "data c2s")!)
        let pieces = named(flowtap.events, "data").filter { $0["dir"] as? String == "c2s" }
        #expect(pieces.map { $0["bytes"] as? Int } == [rewritten.count - 2, 2])
        let head = named(flowtap.events, "message").first { $0["dir"] as? String == "c2s" }
        #expect(
            head?["summary"] as? String == "GET / HTTP/1.1" && head?["bytes"] as? Int == rewritten.count - 2)
        #expect(rewrites.contains { $0["dir"] as? String == "s2c" && $0["count"] as? Int == 1 })

        // The capture holds what was sent, with a note giving the original's length and digest.
        // Checked against coreutils' sha256sum.
        let copy = try tempCopy(request)
        let digest = String(try await runCommand("/usr/bin/sha256sum", [copy]).out.prefix(64))
        try? FileManager.default.removeItem(atPath: copy)
        #expect(c2s["original_sha256"] as? String == digest)
        let session = try #require(try CaptureReader.read(path: file).first)
        // The capture keeps the rewrite as the event itself, read back as it was printed.
        #expect(
            session.events.contains {
                $0.kind
                    == .rewrite(
                        .c2s, count: 1, originalBytes: request.count, bytes: rewritten.count,
                        originalSHA256: digest)
            }, "\(session.events.map(\.kind.name))")
        let sent = session.events.compactMap { event -> [UInt8]? in
            if case .data(.c2s, _, let bytes) = event.kind { return Array(bytes.readableBytesView) }
            return nil
        }
        #expect(sent.flatMap { $0 } == rewritten)
        try? FileManager.default.removeItem(atPath: file)
        await echo.close()
    }

    @Test("bad --rewrite specs exit 2 naming the part")
    func badSpecs() async throws {
        for (spec, message) in [
            ("sideways:a=b", #"--rewrite "sideways:a=b": DIR must be c2s, s2c or both, not "sideways""#),
            ("c2s:abc", #"--rewrite "c2s:abc": no "=" between FROM and TO"#),
            ("c2s:=b", #"--rewrite "c2s:=b": FROM is empty"#),
            (#"c2s:a=\xZZ"#, #"--rewrite "c2s:a=\xZZ": TO: \x needs two hex digits at character 1"#),
        ] {
            let result = try await runCommand(
                FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:9", "--rewrite", spec], timeout: 20)
            #expect(result.status == 2, "\(spec)")
            #expect(result.err.contains(message), "\(spec): \(result.err)")
        }
    }

    private func tempCopy(_ bytes: [UInt8]) throws -> String {
        let path = CaptureTests.tempFile("bytes")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

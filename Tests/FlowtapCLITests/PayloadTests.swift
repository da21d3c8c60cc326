import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// The headless log's bytes (issue 14): `-v` (socat -v style text with escapes), `-x`, and
/// `--payload text|hex|both`, checked against an echo server through the real binary.
@Suite("flowtap proxy: -v, -x and --payload", .leavesNoProcesses)
struct PayloadTests {
    /// Bytes a terminal must never see raw: CR LF, a backslash, NUL, ESC and a byte over 0x7f.
    static let sent: [UInt8] = Array("GET / HTTP/1.1\r\nX: a\\b\r\n\r\n".utf8) + [0, 0x1b, 0x5b, 0xff]

    /// Sends ``sent`` through flowtap (listening on `port`) to the echo server and checks the echo.
    static func exchange(port: Int) async throws {
        let client = try await connect(port)
        try await client.write(ByteBuffer(bytes: sent))
        await client.shutdownWrite()
        let echoed = await drain(client)
        #expect(echoed.bytes == sent && echoed.error == nil)
        await client.close(waitingAtMost: .seconds(2))
    }

    @Test("-v: each chunk as socat -v text, printable only, giving back the bytes of both directions")
    func verboseText() async throws {
        let echo = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess(["tcp-listen:0", echo.target, "-v", "--once"])
        let listening = try await flowtap.waitForLine { $0.contains(" listening on ") }
        let port = try #require(listening.split(separator: ":").last.flatMap { Int($0) })
        try await Self.exchange(port: port)
        #expect(try await flowtap.waitExit() == 0)
        await echo.close()
        // A block is its header (`> ` client → server, `< ` back) and the lines up to the next
        // header or event line (event lines start with the date).
        var text: [Character: String] = [">": "", "<": ""]
        var current: Character?
        for line in flowtap.output {
            if let first = line.first, first == ">" || first == "<", line.contains("  length=") {
                #expect(line.contains("  conn=1"), "\(line)")
                current = first
            } else if line.first?.isNumber == true {
                current = nil
            } else if let current {
                text[current]! += line
            }
        }
        for direction in [">", "<"] as [Character] {
            let shown = text[direction]!
            #expect(shown.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f }, "\(shown)")
            #expect(try ByteEscapes.decode(shown) == Self.sent, "\(direction): \(shown)")
        }
        // socat's layout: a line break after each \n escape.
        #expect(flowtap.output.contains(#"GET / HTTP/1.1\r\n"#))
        #expect(flowtap.output.contains(#"X: a\\b\r\n"#))
    }

    @Test("--json --payload both: data events carry \"hex\" and \"text\", each giving back the bytes")
    func jsonBoth() async throws {
        let echo = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess([
            "tcp-listen:0", echo.target, "--json", "--payload", "both", "--once",
        ])
        try await Self.exchange(port: try await flowtap.listeningPort())
        #expect(try await flowtap.waitExit() == 0)
        await echo.close()
        for direction in ["c2s", "s2c"] {
            let data = named(flowtap.events, "data", conn: 1).filter { $0["dir"] as? String == direction }
            var fromHex: [UInt8] = []
            var fromText: [UInt8] = []
            for event in data {
                let hex = try #require(event["hex"] as? String)
                fromHex += try #require(Hex.decode(hex)).readableBytesView
                fromText += try ByteEscapes.decode(try #require(event["text"] as? String))
            }
            #expect(fromHex == Self.sent, "\(direction)")
            #expect(fromText == Self.sent, "\(direction)")
        }
    }

    @Test("--payload text: \"text\" without \"hex\"; -x alone: \"hex\" without \"text\"")
    func jsonOneForm() async throws {
        let echo = try await LoopbackServer.echo()
        for (arguments, hex, text) in [(["--payload", "text"], false, true), (["-x"], true, false)] {
            let flowtap = try FlowtapProcess(["tcp-listen:0", echo.target, "--json", "--once"] + arguments)
            try await Self.exchange(port: try await flowtap.listeningPort())
            #expect(try await flowtap.waitExit() == 0)
            let data = named(flowtap.events, "data", conn: 1)
            #expect(!data.isEmpty)
            #expect(
                data.allSatisfy { ($0["hex"] != nil) == hex && ($0["text"] != nil) == text }, "\(arguments)")
        }
        await echo.close()
    }

    @Test("--payload with another word: exit 2 naming the accepted ones")
    func badPayload() async throws {
        let result = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:9", "--payload", "ascii"])
        #expect(result.status == 2)
        #expect(result.err.contains("--payload ascii: expected text, hex or both"), "\(result.err)")
    }
}

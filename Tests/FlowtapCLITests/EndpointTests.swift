import FlowCore
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

@Suite("flowtap proxy: endpoints, addresses and exit status", .leavesNoProcesses)
struct EndpointTests {
    static func tempPath(_ name: String) -> String {
        NSTemporaryDirectory() + "flowtap-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    static func roundTrip(listen: String, target: String, connectTo: Address) async throws {
        let flowtap = try FlowtapProcess([listen, target, "--json", "--once"])
        _ = try await flowtap.waitForLine { $0.contains("\"listening\"") }
        let client = try await Connector.connect(connectTo)
        try await client.write(ByteBuffer(string: "hello across families"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "hello across families")
        #expect(try await flowtap.waitExit() == 0)
        await client.close(waitingAtMost: .seconds(1))
    }

    @Test("Unix socket client to a TCP target")
    func unixToTCP() async throws {
        let echo = try await LoopbackServer.echo()
        let path = Self.tempPath("in.sock")
        try await Self.roundTrip(
            listen: "unix-listen:\(path)", target: echo.target, connectTo: .unix(path: path))
        #expect(!FileManager.default.fileExists(atPath: path))
        await echo.close()
    }

    @Test("TCP client to a Unix socket target")
    func tcpToUnix() async throws {
        let path = Self.tempPath("target.sock")
        let echo = try await LoopbackServer.echo(.unixListen(path: path))
        let flowtap = try FlowtapProcess(["tcp-listen:0", "unix:\(path)", "--json", "--once"])
        let client = try await connect(try await flowtap.listeningPort())
        try await client.write(ByteBuffer(string: "to a unix target"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "to a unix target")
        #expect(try await flowtap.waitExit() == 0)
        #expect((named(flowtap.events, "open").first?["target"] as? String) == path)
        await echo.close()
    }

    @Test("IPv6 loopback", .enabled(if: Machine.ipv6LoopbackAvailable()))
    func ipv6() async throws {
        let echo = try await LoopbackServer.echo(.tcpListen(host: "::1", port: 0))
        let flowtap = try FlowtapProcess(["tcp-listen:[::1]:0", "tcp:[::1]:\(echo.port)", "--json", "--once"])
        let line = try await flowtap.waitForLine { $0.contains("\"listening\"") }
        #expect(line.contains("[::1]:"))
        let port = Int(line.split(separator: ":").last!.dropLast(2))!
        let client = try await Connector.connect(.tcp(host: "::1", port: port))
        try await client.write(ByteBuffer(string: "v6"))
        await client.shutdownWrite()
        #expect(String(decoding: await drain(client).bytes, as: UTF8.self) == "v6")
        #expect(try await flowtap.waitExit() == 0)
        await echo.close()
    }

    @Test(
        "bad addresses give exit 2 and a message naming the problem",
        arguments: [
            (["udp:1", "tcp:127.0.0.1:1"], "unknown scheme"),
            (["tcp-listen:99999", "tcp:127.0.0.1:1"], "out of range"),
            (["tcp-listen:0", "tcp:127.0.0.1"], "missing port"),
            (["unix-listen:", "tcp:127.0.0.1:1"], "empty path"),
            (["tcp-listen:0", "tcp:127.0.0.1:http"], "port"),
            (["tcp:127.0.0.1:80", "tcp:127.0.0.1:1"], "LISTEN must be a listen address"),
            (["tcp-listen:0", "tcp-listen:1"], "TARGET must be a connect address"),
            (["tcp-listen:0", "tcp:127.0.0.1:0"], "port"),
            (["tcp-listen:0"], "target"),
            (["tcp-listen:0", "tcp:127.0.0.1:1", "--history", "lots"], "byte count"),
        ])
    func badAddresses(arguments: [String], message: String) async throws {
        let result = try await runCommand(FlowtapProcess.binary, arguments)
        #expect(result.status == 2)
        #expect(result.err.lowercased().contains(message.lowercased()), "stderr: \(result.err)")
        #expect(result.err.hasPrefix("flowtap: "))
    }

    @Test("a port in use gives exit 1 and \"address already in use\"")
    func portInUse() async throws {
        let holder = try await LoopbackServer { _ in }
        let result = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:\(holder.port)", "tcp:127.0.0.1:1"])
        #expect(result.status == 1)
        #expect(result.err == "flowtap: cannot listen on 127.0.0.1:\(holder.port): address already in use\n")
        await holder.close()
    }

    @Test("--version and --help exit 0")
    func versionAndHelp() async throws {
        #expect(try await runCommand(FlowtapProcess.binary, ["--version"]).out == "0.1.0\n")
        let help = try await runCommand(FlowtapProcess.binary, ["--help"])
        #expect(help.status == 0 && help.out.contains("tcp-listen"))
    }
}

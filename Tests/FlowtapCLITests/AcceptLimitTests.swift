import FlowCore
import FlowTransport
import Foundation
import NIOCore
import TestSupport
import Testing

/// The accept loop under descriptor pressure, run on the real binary: it never lets flowtap
/// reach its descriptor limit, it pauses and resumes, and a target it cannot reach is passed on
/// as a reset.
///
/// There is no end-to-end test of an accept that fails with EMFILE: a Swift process with no
/// descriptor left dies whatever it does, since libdispatch's pool monitor traps when it cannot
/// open its /proc files (SIGILL in `_dispatch_workq_monitor_pools`, checked with gdb on flowtap
/// after `prlimit --nofile=3`). Staying below the limit is the defence, tested here; the loop's
/// going on after accept errors is tested in-process (`AcceptLoopTests`).
@Suite("flowtap proxy: the accept loop keeps below the descriptor limit and goes on", .leavesNoProcesses)
struct AcceptLimitTests {
    /// An echo server, and flowtap (`--json`) in front of it started by `sh` with the soft and
    /// hard descriptor limits set to 64, and the port it listens on.
    static func limitedProxy() async throws -> (server: LoopbackServer, flowtap: FlowtapProcess, port: Int) {
        let server = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess(
            [
                "-c", "ulimit -n 64 && exec \"$0\" \"$@\"", FlowtapProcess.binary, "tcp-listen:0",
                server.target, "--json",
            ],
            executable: "/bin/sh")
        return (server, flowtap, try await flowtap.listeningPort())
    }

    @Test(
        "ulimit -n 64, a storm of 50 clients that stay open: accept_paused at the cap, no crash, resumed after, next client byte-exact"
    )
    func stormUnderLowDescriptorLimit() async throws {
        let (server, flowtap, port) = try await Self.limitedProxy()
        var storm: [SocketFlow] = []
        for _ in 0..<50 { storm.append(try await connect(port)) }
        try await flowtap.waitForEvents { !named($0, "accept_paused").isEmpty }
        let paused = named(flowtap.events, "accept_paused")[0]
        let limit = try #require(paused["limit"] as? Int)
        #expect(limit >= 1 && limit < 50)
        #expect(paused["sessions"] as? Int == limit)
        #expect(flowtap.child.isRunning)

        // The storm's clients leave; the ones still in the backlog are served as sessions end.
        await withTaskGroup(of: Void.self) { group in
            for client in storm {
                group.addTask {
                    await client.shutdownWrite()
                    _ = await drain(client)
                    await client.close(waitingAtMost: .seconds(5))
                }
            }
        }
        try await flowtap.waitForEvents(timeout: 60) { named($0, "close").count == 50 }
        // Once the sessions have ended, the loop accepts again: the last word is accept_resumed.
        try await flowtap.waitForEvents { events in
            events.compactMap { $0["event"] as? String }.last { $0.hasPrefix("accept_") } == "accept_resumed"
        }
        // The cap kept flowtap away from its limit: not one accept failed.
        #expect(named(flowtap.events, "accept_error").isEmpty)

        let next = try await connect(port)
        let payload = ByteBuffer(bytes: (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try await next.write(payload)
        await next.shutdownWrite()
        let echoed = await drain(next)
        #expect(echoed.error == nil)
        #expect(echoed.bytes == Array(payload.readableBytesView))
        await next.close(waitingAtMost: .seconds(1))

        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await server.close()
    }

    @Test("--max-sessions 2: the third client waits in the backlog and opens only after accept_resumed")
    func maxSessionsHoldsTheThirdClient() async throws {
        let server = try await LoopbackServer.echo()
        let flowtap = try FlowtapProcess(["tcp-listen:0", server.target, "--json", "--max-sessions", "2"])
        let port = try await flowtap.listeningPort()
        let first = try await connect(port)
        let second = try await connect(port)
        try await flowtap.waitForEvents {
            named($0, "open").count == 2 && !named($0, "accept_paused").isEmpty
        }
        let paused = named(flowtap.events, "accept_paused")[0]
        #expect(paused["sessions"] as? Int == 2)
        #expect(paused["limit"] as? Int == 2)
        let third = try await connect(port)
        try await third.write(ByteBuffer(string: "third"))
        await third.shutdownWrite()

        await first.shutdownWrite()
        _ = await drain(first)
        let answer = await drain(third)
        #expect(String(decoding: answer.bytes, as: UTF8.self) == "third")
        try await flowtap.waitForEvents { !named($0, "open", conn: 3).isEmpty }
        let order = flowtap.events.compactMap { event -> String? in
            switch event["event"] as? String {
            case "accept_resumed": "accept_resumed"
            case "open": "open \(event["conn"] as? Int ?? 0)"
            default: nil
            }
        }
        let resumed = try #require(order.firstIndex(of: "accept_resumed"), "\(order)")
        let opened = try #require(order.firstIndex(of: "open 3"), "\(order)")
        #expect(resumed < opened, "\(order)")
        for client in [first, second, third] { await client.close(waitingAtMost: .seconds(1)) }
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
        await server.close()
    }

    @Test(
        "--max-sessions must be a whole number from 1: exit 2 naming the option",
        arguments: ["0", "-3", "x", "2.5"])
    func badMaxSessions(_ value: String) async throws {
        let result = try await runCommand(
            FlowtapProcess.binary, ["tcp-listen:0", "tcp:127.0.0.1:1", "--json", "--max-sessions=\(value)"])
        #expect(result.status == 2)
        #expect(
            result.err.contains("--max-sessions: \"\(value)\" is not a number of sessions"), "\(result.err)")
    }

    @Test(
        "a refused target reaches the client as a reset after connect_error (ECONNRESET, curl 56), not a FIN")
    func refusedConnectIsReset() async throws {
        let stale = try StaleUnixSocket()
        let flowtap = try FlowtapProcess(["tcp-listen:0", "unix:\(stale.path)", "--json"])
        let port = try await flowtap.listeningPort()
        if let client = await connectToRefused(port) {
            let result = await drain(client)
            #expect(result.bytes.isEmpty)
            // Before, flowtap closed with a FIN: the client read end-of-file.
            #expect(
                result.error?.description == "connection reset by peer",
                "got \(String(describing: result.error))")
            await client.close(waitingAtMost: .seconds(1))
        }
        try await flowtap.waitForEvents { !named($0, "connect_error", conn: 1).isEmpty }
        #expect(
            named(flowtap.events, "connect_error", conn: 1)[0]["error"] as? String == "connection refused")

        // 56 "Recv failure: Connection reset by peer", or 7 when the reset comes before curl has
        // checked its connect ("connect to … failed: Connection reset by peer"); before, 52
        // "Empty reply from server".
        let curl = try await runCommand("/usr/bin/curl", ["-sSv", "http://127.0.0.1:\(port)/"])
        #expect([56, 7].contains(curl.status), "curl: \(curl.err)")
        #expect(curl.err.contains("Connection reset by peer"), "curl: \(curl.err)")
        flowtap.signal(SIGTERM)
        #expect(try await flowtap.waitExit() == 0)
    }
}

/// A Unix socket file bound but never listened on: a connect to it is refused. Removed at the
/// end of the test.
final class StaleUnixSocket: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "flowtap-stale-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
    }

    deinit { unlink(path) }
}

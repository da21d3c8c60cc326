import Foundation
import TestSupport
import Testing

/// `flowtap demo`, the README's first command, headless: every scenario shows what it promises.
@Suite("flowtap demo: every scenario, headless", .serialized, .leavesNoProcesses)
struct DemoTests {
    @Test(
        "nine sessions: text, binary, both half-close orders, a reset, a refused connect, pause/step, edits, a breakpoint"
    )
    func everyScenario() async throws {
        let (status, out, err) = try await runCommand(FlowtapProcess.binary, ["demo", "--json"], timeout: 60)
        #expect(status == 0)
        let events = out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        func bytes(_ conn: Int, _ dir: String) -> Int {
            named(events, "data", conn: conn).filter { $0["dir"] as? String == dir }
                .reduce(0) { $0 + ($1["bytes"] as! Int) }
        }
        #expect(Set(events.compactMap { $0["conn"] as? Int }) == Set(1...9))
        // 1: a RESP exchange; 2: all 256 byte values (and 8 more) echoed exactly.
        #expect(bytes(1, "c2s") == 49 && bytes(1, "s2c") == 12)
        #expect(bytes(2, "c2s") == 264 && bytes(2, "s2c") == 264)
        // 3: the client's FIN is passed on before the answer, which still arrives.
        let three = sequence(events, conn: 3)
        #expect(three.firstIndex(of: "shutdown c2s")! < three.firstIndex(of: "data s2c")!)
        // 4: the server's FIN first, the client goes on sending.
        let four = sequence(events, conn: 4)
        #expect(four.firstIndex(of: "shutdown s2c")! < four.lastIndex(of: "data c2s")!)
        // 5: a reset in the middle of a transfer is one error with its reason (reading the
        // answer or writing the upload, whichever meets it first), then the session closes.
        let reset = named(events, "read_error", conn: 5) + named(events, "write_error", conn: 5)
        #expect(reset.count == 1 && reset.first?["error"] as? String == "connection reset by peer")
        #expect(sequence(events, conn: 5).last == "close")
        // 6: a refused connect.
        #expect(named(events, "connect_error", conn: 6).first?["error"] as? String == "connection refused")
        // 7: paused, one chunk stepped, resumed.
        #expect(
            sequence(events, conn: 7).filter { ["pause c2s", "step c2s", "resume c2s"].contains($0) }.count
                == 3)
        // 8: an edit, a drop and an injection, each in the order made; the server got 16 + 6 bytes.
        #expect(
            sequence(events, conn: 8).filter { ["edit c2s", "drop c2s", "inject c2s"].contains($0) }
                == ["edit c2s", "drop c2s", "inject c2s"])
        let edit = try #require(named(events, "edit", conn: 8).first)
        #expect(edit["original_bytes"] as? Int == 15 && edit["bytes"] as? Int == 16)
        #expect(named(events, "drop", conn: 8).first?["bytes"] as? Int == 20)
        #expect(bytes(8, "c2s") == 22)
        let close = try #require(named(events, "close", conn: 8).first?["c2s"] as? [String: Any])
        #expect(close["read_bytes"] as? Int == 35 && close["write_bytes"] as? Int == 22)
        // 9: the breakpoint c2s:^DEL holds the DEL message (the GET before it flowed), then a step
        // delivers it and the answer comes back.
        #expect(named(events, "breakpoints").isEmpty)  // set by the demo itself, not by a command
        let nine = sequence(events, conn: 9, decoding: true).filter {
            ["message c2s", "pause c2s", "step c2s", "resume c2s", "message s2c"].contains($0)
        }
        #expect(
            nine == [
                "message c2s", "message s2c", "pause c2s", "step c2s", "message c2s", "resume c2s",
                "message s2c",
            ]
                || nine == [
                    "message c2s", "message s2c", "pause c2s", "step c2s", "resume c2s", "message c2s",
                    "message s2c",
                ], "\(nine)")
        #expect(
            messagesOf(events, conn: 9).map { $0["summary"] as? String } == [
                "GET color", "$4 blue", "DEL color", ":1",
            ])
        #expect(err.contains("flowtap: 9 sessions (1 failed to connect)"))
    }
}

/// The `message` events of session `conn`, both directions, in order.
private func messagesOf(_ events: [[String: Any]], conn: Int) -> [[String: Any]] {
    named(events, "message", conn: conn)
}

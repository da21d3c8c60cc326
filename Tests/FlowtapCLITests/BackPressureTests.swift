import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing

@Suite("Back-pressure from a stalled reader suspends sessions, never a thread", .leavesNoProcesses)
struct BackPressureTests {
    @Test(
        "stdout nobody reads: flowtap still accepts and connects new clients, and SIGTERM ends it with the capture flushed"
    )
    func stalledStdout() async throws {
        let connections = Atomic<Int>(0)
        let echo = try await LoopbackServer { connection in
            connections.add(1, ordering: .relaxed)
            while case .data(let chunk) = (try? await connection.read()) ?? .eof {
                do { try await connection.write(chunk) } catch { break }
            }
            await connection.shutdownWrite()
            await connection.close(waitingAtMost: .seconds(5))
        }
        let directory =
            NSTemporaryDirectory() + "flowtap-stall-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/in.sock"
        let capture = directory + "/stall.pcapng"

        // stdout is a FIFO whose reader (a sleep in the same process group) never reads: the hex
        // dumps fill it. The shell execs flowtap, so the child's pid is flowtap's.
        let fifo = directory + "/stdout.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let arguments = ["unix-listen:\(socket)", echo.target, "--headless", "-x", "-w", capture]
        let flowtap = try ChildProcess(
            "/bin/sh",
            ["-c", "sleep 120 < \"$0\" & exec \"$@\" > \"$0\"", fifo, FlowtapProcess.binary] + arguments,
            output: .discard, error: .discard)
        defer {
            // The FIFO's reader (the sleep) is in flowtap's process group, and outlives flowtap.
            kill(-flowtap.pid, SIGKILL)
            flowtap.stop()
        }
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(10))
        }

        // Session 1 sends 4 MiB: its hex dump (about 16 MiB of text) cannot all be printed, so
        // the session ends up waiting for room in the log's queue.
        let first = try await Connector.connect(.unix(path: socket))
        let payload = ByteBuffer(bytes: (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let sender = Task {
            var rest = payload
            while let piece = rest.readSlice(length: min(65_536, rest.readableBytes)) {
                try await first.write(piece)
            }
        }
        let receiver = Task { await drain(first) }
        // Wait until the stall is certain: far more output than a pipe holds has been produced.
        try await Task.sleep(for: .seconds(1))

        // A new client still gets through to the target: the accept loop and the connects do not
        // wait for stdout.
        let second = try await Connector.connect(.unix(path: socket))
        for _ in 0..<500 where connections.load(ordering: .relaxed) < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(connections.load(ordering: .relaxed) == 2, "the second client reached the target")

        // SIGTERM ends flowtap although stdout is still stalled (the sleep still holds the FIFO).
        flowtap.signal(SIGTERM)
        let status = try await flowtap.waitForExitBlockingFree()
        #expect(status == 0, "flowtap did not end with 0 after SIGTERM with stdout stalled")
        guard status == 0 else { return }
        sender.cancel()
        _ = await receiver.value
        await second.close(waitingAtMost: .seconds(1))
        await echo.close()

        // The capture was flushed: both sessions, from open to close, and what session 1 sent is
        // exactly a prefix of its payload.
        let sessions = try CaptureReader.read(path: capture)
        #expect(sessions.map(\.id) == [1, 2])
        for session in sessions {
            guard case .open = session.events.first?.kind, case .close = session.events.last?.kind else {
                Issue.record("session \(session.id) is not whole: \(session.events.map(\.kind.name))")
                continue
            }
        }
        var sent: [UInt8] = []
        for event in sessions.first?.events ?? [] {
            if case .data(.c2s, _, let bytes) = event.kind { sent += bytes.readableBytesView }
        }
        #expect(!sent.isEmpty && sent.count <= payload.readableBytes)
        #expect(sent == Array(payload.readableBytesView.prefix(sent.count)))
    }
}

extension ChildProcess {
    /// The exit status once the program has exited (its output is not waited for: a child of
    /// its group may still hold it), or `nil` after 30 s.
    fileprivate func waitForExitBlockingFree() async throws -> Int32? {
        for _ in 0..<3000 {
            if let status = exitStatus { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

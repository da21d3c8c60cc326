import FlowCapture
import FlowCore
import FlowEvents
import FlowTransport
import NIOCore

/// Plays one side of a captured session over a live connection, records the new session as
/// ``SessionEvent``s (the same events the proxy reports, so the event log and
/// ``CaptureObserver`` work unchanged), and compares what the peer sent with the capture.
///
/// The played side's steps (see ``ReplayScript``) are sent in order, one write per captured
/// chunk, timed by ``ReplayTiming``; the FIN goes where the captured side sent it, reported as
/// `eof` then `shutdown` of the sent direction. Meanwhile everything the peer sends is read and
/// reported as `data`; its FIN as `eof` and `shutdown` of the received direction.
///
/// After the last step, the replay waits for the peer to finish: until the peer sends FIN or
/// fails, or until it has been silent for ``Options/quietPeriod`` (1 s) once it has sent at least
/// as many bytes as in the capture, or for ``Options/replyTimeout`` (5 s) while it has sent fewer.
/// A side that never sent FIN in the capture sends it then; the connection is then closed
/// (waiting up to the quiet period for the peer's FIN) and `close` is reported.
public enum Replayer {
    /// How a replay runs.
    public struct Options: Sendable {
        /// When each step goes; `wait-reply` by default.
        public var timing: ReplayTiming = .waitReply
        /// The longest a `wait-reply` wait lasts, and how long a peer that has sent fewer bytes
        /// than captured may stay silent at the end.
        public var replyTimeout: Duration = .seconds(5)
        /// How long a peer that has sent all the captured bytes may stay silent at the end
        /// before the replay closes.
        public var quietPeriod: Duration = .seconds(1)
        /// The longest captured gap kept with `original` timing.
        public var gapCap: Duration = .seconds(10)
        /// Default options.
        public init() {}
    }

    /// What a replay did, and how the peer's bytes compare with the capture.
    public struct Result: Sendable {
        /// The side played.
        public var role: ReplayRole
        /// The captured session played.
        public var sessionID: Int
        /// The new session's number in the events.
        public var conn: Int
        /// The timing used.
        public var timing: ReplayTiming
        /// Bytes written to the peer.
        public var sentBytes: Int
        /// The peer's bytes compared with the captured ones (`expected`).
        public var comparison: ReplayComparison
        /// How many `wait-reply` waits gave up on their timeout.
        public var replyTimeouts: Int
        /// The first write failure, if writing to the peer failed.
        public var writeError: String?

        /// The one-line summary: `replay: 42 bytes sent, 19 received, answers match`
        /// (`requests` for the server role, `#N` for its N-th client), then the hex diff when
        /// they differ.
        public var text: String {
            let what = role == .client ? "answers" : "requests"
            let who = role == .client ? "" : "#\(conn) "
            var line =
                "replay: \(who)\(sentBytes) bytes sent, \(comparison.got.count) received, "
                + (comparison.matches ? "\(what) match" : "\(what) differ")
            if let writeError { line += " (write failed: \(writeError))" }
            if replyTimeouts > 0 {
                line += " (\(replyTimeouts) reply timeout\(replyTimeouts == 1 ? "" : "s"))"
            }
            return line + "\n" + comparison.hexDiff()
        }

        /// The `replay_result` JSON object (one line, no newline): `role`, `conn`, `session`,
        /// `timing`, `sent_bytes`, `received_bytes`, `expected_bytes`, `match`,
        /// `first_difference` (offset or null), `reply_timeouts`; when they differ also
        /// `diff_offset` (the first byte shown) with `expected_hex` and `got_hex` (16 bytes from
        /// there); `write_error` when writing failed.
        public func json(timestamp: UInt64 = WallClock.nanoseconds()) -> String {
            // Strings, integers, booleans and six-decimal seconds: encoding cannot fail.
            try! JSONLineEncoder().encode(Line(result: self, time: timestamp))
        }

        /// The `replay_result` object, encoded in the order documented on ``json(timestamp:)``.
        private struct Line: Encodable {
            var result: Result
            var time: UInt64

            enum Key: String, CodingKey {
                case t, event, role, conn, session, timing, match
                case sentBytes = "sent_bytes"
                case receivedBytes = "received_bytes"
                case expectedBytes = "expected_bytes"
                case firstDifference = "first_difference"
                case replyTimeouts = "reply_timeouts"
                case diffOffset = "diff_offset"
                case expectedHex = "expected_hex"
                case gotHex = "got_hex"
                case writeError = "write_error"
            }

            func encode(to encoder: any Encoder) throws {
                let comparison = result.comparison
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(Seconds(nanoseconds: time), forKey: .t)
                try c.encode("replay_result", forKey: .event)
                try c.encode(result.role.rawValue, forKey: .role)
                try c.encode(result.conn, forKey: .conn)
                try c.encode(result.sessionID, forKey: .session)
                try c.encode(result.timing.rawValue, forKey: .timing)
                try c.encode(result.sentBytes, forKey: .sentBytes)
                try c.encode(comparison.got.count, forKey: .receivedBytes)
                try c.encode(comparison.expected.count, forKey: .expectedBytes)
                try c.encode(comparison.matches, forKey: .match)
                if let first = comparison.firstDifference {
                    try c.encode(first, forKey: .firstDifference)
                } else {
                    try c.encodeNil(forKey: .firstDifference)
                }
                try c.encode(result.replyTimeouts, forKey: .replyTimeouts)
                if !comparison.matches {
                    try c.encode(comparison.windowStart(), forKey: .diffOffset)
                    try c.encode(comparison.windowHex(comparison.expected), forKey: .expectedHex)
                    try c.encode(comparison.windowHex(comparison.got), forKey: .gotHex)
                }
                try c.encodeIfPresent(result.writeError, forKey: .writeError)
            }
        }
    }

    /// Connects to `target` and plays the client's side of `script`, reporting the new session
    /// (number `conn`) to `emit`: `open` first (client = our local address), `close` last.
    /// - Throws: ``TransportError`` when the connection fails (nothing is reported then).
    public static func replayClient(
        _ script: ReplayScript, to target: Address, conn: Int = 1, options: Options = Options(),
        emit: @escaping @Sendable (SessionEvent) -> Void
    ) async throws(TransportError) -> Result {
        let flow = try await Connector.connect(target)
        emit(
            SessionEvent(
                conn: conn,
                .open(
                    client: PeerAddress(flow.localSocketAddress, text: flow.localAddress),
                    target: PeerAddress(flow.remoteSocketAddress, text: flow.remoteAddress))))
        return await withTaskExecutorPreference(flow.taskExecutor) {
            await play(script, role: .client, over: flow, conn: conn, options: options, emit: emit)
        }
    }

    /// Plays `role`'s side of `script` over a connected socket (`open` already reported by the
    /// caller), then closes it and reports `close`.
    public static func play(
        _ script: ReplayScript, role: ReplayRole, over flow: SocketFlow, conn: Int, options: Options,
        emit: @escaping @Sendable (SessionEvent) -> Void
    ) async -> Result {
        let recorder = SessionRecorder(id: conn, emit: emit)
        let progress = ReplayProgress()
        let sent = role.sends
        let began = ContinuousClock.now
        async let receiving = receive(flow, role.receives, recorder: recorder, progress: progress)

        var sentStats = Stats()
        var writeError: String?
        var timeouts = 0
        var previous = script.start
        var sentFIN = false
        steps: for step in script.steps[sent]! {
            switch options.timing {
            case .fast:
                break
            case .original:
                let gap = Duration.nanoseconds(
                    Int64(clamping: step.timestamp &- min(previous, step.timestamp)))
                try? await Task.sleep(for: min(gap, options.gapCap))
            case .waitReply:
                let needed = step.peerBytesBefore
                let reached = await progress.wait(timeout: options.replyTimeout) {
                    $0.bytes >= needed || $0.ended
                }
                if !reached { timeouts += 1 }
            }
            previous = step.timestamp
            switch step.action {
            case .send(let chunk):
                recorder.reportSent(sent, chunk)
                do {
                    try await flow.write(chunk)
                    sentStats.writeBytes += chunk.readableBytes
                    sentStats.writeOps += 1
                } catch {
                    writeError = error.description
                    recorder.report(.writeError(sent, error.description), failing: sent)
                    break steps
                }
            case .fin:
                _ = recorder.reportEOF(sent)
                await flow.shutdownWrite()
                recorder.reportShutdown(sent)
                sentFIN = true
            }
        }

        // Let the peer finish: until it ends, or stays silent long enough.
        let expectedCount = script.bytes[role.receives]!.count
        while true {
            let now = progress.snapshot
            if now.ended { break }
            let idle = now.bytes >= expectedCount ? options.quietPeriod : options.replyTimeout
            let changes = now.changes
            let changed = await progress.wait(timeout: idle) { $0.changes != changes }
            if !changed { break }
        }
        if !sentFIN && writeError == nil {
            await flow.shutdownWrite()
            recorder.reportShutdown(sent)
            _ = await progress.wait(timeout: options.quietPeriod) { $0.ended }
        }
        if !progress.snapshot.ended {
            progress.stopReading()
            await flow.shutdownRead()
        }
        let (received, receivedStats) = await receiving
        await flow.close(waitingAtMost: .seconds(2))
        sentStats.readBytes = sentStats.writeBytes
        sentStats.readOps = sentStats.writeOps
        sentStats.duration = ContinuousClock.now - began
        var inStats = receivedStats
        inStats.duration = sentStats.duration
        recorder.report(
            role == .client ? .close(c2s: sentStats, s2c: inStats) : .close(c2s: inStats, s2c: sentStats))
        return Result(
            role: role, sessionID: script.sessionID, conn: conn, timing: options.timing,
            sentBytes: sentStats.writeBytes,
            comparison: ReplayComparison(expected: script.bytes[role.receives]!, got: received),
            replyTimeouts: timeouts, writeError: writeError)
    }

    /// Reads the peer to its end, reporting what comes; returns the bytes and the statistics
    /// (reads counted, and counted as delivered: the replay is their destination).
    private static func receive(
        _ flow: SocketFlow, _ direction: Direction, recorder: SessionRecorder, progress: ReplayProgress
    ) async -> ([UInt8], Stats) {
        var bytes: [UInt8] = []
        var stats = Stats()
        defer { progress.end() }
        while true {
            let result: ReadResult
            do {
                result = try await flow.read()
            } catch {
                if !progress.stoppedReading {
                    recorder.report(.readError(direction, error.description), failing: direction)
                }
                return (bytes, stats)
            }
            switch result {
            case .data(let chunk):
                if progress.stoppedReading { continue }
                recorder.reportSent(direction, chunk)
                bytes += chunk.readableBytesView
                stats.readBytes += chunk.readableBytes
                stats.readOps += 1
                stats.writeBytes += chunk.readableBytes
                stats.writeOps += 1
                progress.add(chunk.readableBytes)
            case .eof:
                if !progress.stoppedReading {
                    _ = recorder.reportEOF(direction)
                    recorder.reportShutdown(direction)
                }
                return (bytes, stats)
            }
        }
    }
}

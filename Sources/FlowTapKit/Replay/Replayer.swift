import FlowCapture
import FlowCore
import FlowEvents
import FlowFramers
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
/// as many bytes (or, comparing messages, as many messages) as in the capture, or for
/// ``Options/replyTimeout`` (5 s) while it has sent fewer.
/// A side that never sent FIN in the capture sends it then; the connection is then closed
/// (waiting up to the quiet period for the peer's FIN) and `close` is reported.
///
/// What is compared: the peer's bytes with what the captured peer really sent (an edited
/// chunk's original, see ``ReplayScript``). When a decoder applies (``Options/decode``, `auto`
/// by default, decides on one for the captured session), the messages are compared instead
/// (``ReplayMessageComparison``, leaving out what ``Options/ignore`` skips), and the new
/// session's events include its `decoder`, `message` and `decode_error` events.
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
        /// How messages are found (`--decode`): `auto` (by default) chooses from the captured
        /// session's first bytes and its target's port; `none` compares bytes.
        public var decode: DecoderSpec = .auto
        /// The received messages left out of the comparison (`--ignore`).
        public var ignore = ReplayIgnore()
        /// How a `tls:` target is connected to (`--tls-ca`, `--insecure`, `--keylog`); nil for
        /// system trust and `SSLKEYLOGFILE`.
        public var tls: TLSEnvironment?
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
        /// The peer's messages compared with the captured ones, when a decoder applied; this
        /// comparison then decides whether the replay matches.
        public var messages: ReplayMessageComparison?
        /// Chunks of the compared direction changed in the proxy whose original the capture
        /// does not hold (``ReplayScript/unknownOriginals``): compared with the bytes sent.
        public var unknownOriginals = 0
        /// How many `wait-reply` waits gave up on their timeout.
        public var replyTimeouts: Int
        /// The first write failure, if writing to the peer failed.
        public var writeError: String?

        /// Whether the peer's messages (when a decoder applied) or bytes equal the captured ones.
        public var matches: Bool { messages?.matches ?? comparison.matches }

        /// Where the first difference starts in the received bytes: the first differing byte,
        /// or, comparing messages, the start of the first differing message (the end of the
        /// bytes when the peer sent no more); nil when they match.
        public var firstDifference: Int? {
            guard let messages else { return comparison.firstDifference }
            return messages.difference?.offset
        }

        /// The one-line summary: `replay: 42 bytes sent, 19 received, answers match`
        /// (`requests` for the server role, `#N` for its N-th client), comparing messages with
        /// `(resp: 3 messages compared, 1 ignored)`; then the first difference: the hex diff of
        /// the bytes, or the messages by index and summary with the hex diff of their bytes
        /// (``ReplayMessageComparison/text``).
        public var text: String {
            let what = role == .client ? "answers" : "requests"
            let who = role == .client ? "" : "#\(conn) "
            var line =
                "replay: \(who)\(sentBytes) bytes sent, \(comparison.got.count) received, "
                + (matches ? "\(what) match" : "\(what) differ")
            if let messages { line += " (\(messages.counts))" }
            if let writeError { line += " (write failed: \(writeError))" }
            if replyTimeouts > 0 {
                line += " (\(replyTimeouts) reply timeout\(replyTimeouts == 1 ? "" : "s"))"
            }
            if unknownOriginals > 0 {
                line +=
                    " (\(unknownOriginals) changed chunk\(unknownOriginals == 1 ? "" : "s") without"
                    + " its original in the capture: compared as sent)"
            }
            return line + "\n" + (messages.map(\.text) ?? comparison.hexDiff())
        }

        /// The `replay_result` JSON object (one line, no newline): `role`, `conn`, `session`,
        /// `timing`, `sent_bytes`, `received_bytes`, `expected_bytes`, `match`,
        /// `first_difference` (``firstDifference``, or null), `reply_timeouts`, `decode` (the
        /// decoder compared with, `none` for bytes); comparing bytes, when they differ also
        /// `diff_offset` (the first byte shown) with `expected_hex` and `got_hex` (16 bytes from
        /// there); comparing messages, `messages_expected`, `messages_received`,
        /// `ignored_expected`, `ignored_received`, and when they differ `message_index` (the
        /// captured message's index, else the received one's), `expected_summary` and
        /// `got_summary` (null for a missing message; both null when the bytes after the last
        /// messages differ); `unknown_originals` when not 0; `write_error` when writing failed.
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
                case decode
                case messagesExpected = "messages_expected"
                case messagesReceived = "messages_received"
                case ignoredExpected = "ignored_expected"
                case ignoredReceived = "ignored_received"
                case messageIndex = "message_index"
                case expectedSummary = "expected_summary"
                case gotSummary = "got_summary"
                case unknownOriginals = "unknown_originals"
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
                try c.encode(result.matches, forKey: .match)
                if let first = result.firstDifference {
                    try c.encode(first, forKey: .firstDifference)
                } else {
                    try c.encodeNil(forKey: .firstDifference)
                }
                try c.encode(result.replyTimeouts, forKey: .replyTimeouts)
                try c.encode(result.messages?.proto ?? "none", forKey: .decode)
                if let messages = result.messages {
                    try c.encode(messages.expectedCount, forKey: .messagesExpected)
                    try c.encode(messages.gotCount, forKey: .messagesReceived)
                    try c.encode(messages.ignoredExpected, forKey: .ignoredExpected)
                    try c.encode(messages.ignoredGot, forKey: .ignoredReceived)
                    if let difference = messages.difference {
                        try c.encodeIfPresent(
                            difference.expected?.index ?? difference.got?.index, forKey: .messageIndex)
                        try c.encode(difference.expected?.summary, forKey: .expectedSummary)
                        try c.encode(difference.got?.summary, forKey: .gotSummary)
                    }
                } else if !comparison.matches {
                    try c.encode(comparison.windowStart(), forKey: .diffOffset)
                    try c.encode(comparison.windowHex(comparison.expected), forKey: .expectedHex)
                    try c.encode(comparison.windowHex(comparison.got), forKey: .gotHex)
                }
                if result.unknownOriginals > 0 {
                    try c.encode(result.unknownOriginals, forKey: .unknownOriginals)
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
        let flow: SocketFlow
        if case .tls(let host, let port) = target, let environment = options.tls {
            do {
                flow = try await Connector.connectTLS(
                    host: host, port: port, on: nil, environment: environment
                ).flow
            } catch {
                switch error {
                case .transport(let error): throw error
                case .handshake(let error):
                    throw TransportError(action: "cannot connect to \(target)", reason: error.reason)
                }
            }
        } else {
            flow = try await Connector.connect(target)
        }
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
        // The captured messages, when a decoder applies; the replay's are decoded as they come.
        let (spec, expected, waits) = expectedMessages(script, role: role, conn: conn, decode: options.decode)
        let progress = ReplayProgress()
        let decoding = spec.map {
            ReplayDecoding($0, comparing: role.receives, emit: emit) { progress.addMessage() }
        }
        let report: @Sendable (SessionEvent) -> Void
        if let decoding { report = { decoding.record($0) } } else { report = emit }
        let recorder = SessionRecorder(id: conn, emit: report)
        let sent = role.sends
        let began = ContinuousClock.now
        async let receiving = receive(flow, role.receives, recorder: recorder, progress: progress)

        var sentStats = Stats()
        var writeError: String?
        var timeouts = 0
        var previous = script.start
        var sentFIN = false
        steps: for (index, step) in script.steps[sent]!.enumerated() {
            switch options.timing {
            case .fast:
                break
            case .original:
                let gap = Duration.nanoseconds(
                    Int64(clamping: step.timestamp &- min(previous, step.timestamp)))
                try? await Task.sleep(for: min(gap, options.gapCap))
            case .waitReply:
                let reached: Bool
                if let waits, index < waits.count {
                    // Comparing messages: as many whole messages as the captured peer had sent
                    // (an answer may be longer or shorter than captured, e.g. TIME's).
                    let needed = waits[index]
                    reached = await progress.wait(timeout: options.replyTimeout) {
                        $0.messages >= needed || $0.ended
                    }
                } else {
                    let needed = step.peerBytesBefore
                    reached = await progress.wait(timeout: options.replyTimeout) {
                        $0.bytes >= needed || $0.ended
                    }
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
        let expectedCount = script.sourced[role.receives]!.count
        let expectedMessages = expected?.messages.count
        while true {
            let now = progress.snapshot
            if now.ended { break }
            let all = now.bytes >= expectedCount || expectedMessages.map { now.messages >= $0 } ?? false
            let idle = all ? options.quietPeriod : options.replyTimeout
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
        var messages: ReplayMessageComparison?
        if let spec, let decoding, let expected {
            messages = ReplayMessageComparison(
                proto: spec.protocolName, expected: expected, got: decoding.stream(bytes: received),
                ignore: options.ignore)
        }
        return Result(
            role: role, sessionID: script.sessionID, conn: conn, timing: options.timing,
            sentBytes: sentStats.writeBytes,
            comparison: ReplayComparison(expected: script.sourced[role.receives]!, got: received),
            messages: messages, unknownOriginals: script.unknownOriginals[role.receives]!,
            replyTimeouts: timeouts, writeError: writeError)
    }

    /// The decoder that applies to `script` (`decode`, or what `auto` chooses from the
    /// captured conversation and the target's port; nil for `none`), the captured messages
    /// of the direction `role` receives, decoded from the conversation as the live peer's
    /// counterpart had it (``ReplayScript/conversation(playing:conn:)``), and for each step of
    /// the sent direction how many of those messages had come before it (what `wait-reply`
    /// waits for when comparing messages).
    static func expectedMessages(
        _ script: ReplayScript, role: ReplayRole, conn: Int, decode: DecoderSpec
    ) -> (DecoderSpec?, ReplayMessageComparison.Stream?, [Int]?) {
        guard decode != .none else { return (nil, nil, nil) }
        var portHint: Int?
        if case .ip(_, let port) = script.target { portHint = port }
        var decoder = EventDecoder(decode, portHint: portHint)
        var stream = ReplayMessageComparison.Stream()
        var waits: [Int] = []
        let events = script.conversation(playing: role, conn: conn)
        for event in events {
            switch event.kind {
            case .data(let d, _, _), .shutdown(let d):
                if d == role.sends { waits.append(stream.messages.count) }
            default:
                break
            }
            for out in decoder.decode(event) { stream.take(out, comparing: role.receives) }
        }
        for out in decoder.finish(conn: conn, time: events.last?.time ?? 0) {
            stream.take(out, comparing: role.receives)
        }
        guard decoder.spec != .auto, decoder.spec != .none else { return (nil, nil, nil) }
        stream.bytes = script.sourced[role.receives]!
        return (decoder.spec, stream, waits)
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

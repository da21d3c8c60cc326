import Foundation
import Testing

/// The `message` events of one session, read from flowtap's JSON Lines, per direction, with
/// the checks every real-peer test makes: each direction's messages are numbered from 0 and
/// tile its bytes (each starts where the one before ended, the first at 0, the last ends at the
/// direction's byte count), every `request` names a message of the other direction that came
/// before, and `latency_ms` is on a request's first reply only.
struct MessageLog {
    /// One `message` event.
    struct Message: CustomStringConvertible {
        var proto: String
        var index: Int
        var offset: Int
        var bytes: Int
        var summary: String
        var request: Int?
        var latency: Double?

        var description: String {
            var text = "#\(index) \(summary)"
            if let request { text += " → \(request)" }
            if let latency { text += " (\(latency) ms)" }
            return text
        }
    }

    /// Client to server, in order.
    var c2s: [Message] = []
    /// Server to client, in order.
    var s2c: [Message] = []
    /// The `proto` of the session's `decoder` event, if one came.
    var decoder: String?

    /// The messages of session `conn` among `events`.
    init(_ events: [[String: Any]], conn: Int) {
        for event in events where event["conn"] as? Int == conn {
            switch event["event"] as? String {
            case "decoder": decoder = event["proto"] as? String
            case "message":
                let message = Message(
                    proto: event["proto"] as? String ?? "?", index: event["index"] as? Int ?? -1,
                    offset: event["offset"] as? Int ?? -1, bytes: event["bytes"] as? Int ?? -1,
                    summary: event["summary"] as? String ?? "?", request: event["request"] as? Int,
                    latency: (event["latency_ms"] as? NSNumber)?.doubleValue)
                if event["dir"] as? String == "c2s" { c2s.append(message) } else { s2c.append(message) }
            default: break
            }
        }
    }

    /// The summaries of one direction.
    func summaries(_ dir: String) -> [String] { messages(dir).map(\.summary) }

    func messages(_ dir: String) -> [Message] { dir == "c2s" ? c2s : s2c }

    /// The first message of `dir` whose summary is `summary` (an issue if there is none).
    func first(
        _ dir: String, _ summary: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Message {
        try #require(
            messages(dir).first { $0.summary == summary },
            "no \(dir) message \(summary) among \(messages(dir))", sourceLocation: sourceLocation)
    }

    /// The requests of `dir`'s replies: for each message of `dir`, its summary and the summary of
    /// the message it answers (`nil` when unpaired).
    func pairs(_ dir: String) -> [(reply: String, request: String?)] {
        let other = messages(dir == "c2s" ? "s2c" : "c2s")
        return messages(dir).map { message in
            (
                message.summary,
                message.request.flatMap { $0 >= 0 && $0 < other.count ? other[$0].summary : nil }
            )
        }
    }

    /// Checks the invariants in the type's description; `bytes` are the directions' byte counts
    /// (the `close` event's `read_bytes`).
    func checkInvariants(
        proto: String, c2sBytes: Int, s2cBytes: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (dir, list, total) in [("c2s", c2s, c2sBytes), ("s2c", s2c, s2cBytes)] {
            var end = 0
            for (n, message) in list.enumerated() {
                #expect(message.proto == proto, "\(dir) \(message)", sourceLocation: sourceLocation)
                #expect(
                    message.index == n, "\(dir) \(message) is number \(n)", sourceLocation: sourceLocation)
                #expect(
                    message.offset == end, "\(dir) \(message) starts at \(message.offset), not \(end)",
                    sourceLocation: sourceLocation)
                #expect(message.bytes > 0, "\(dir) \(message)", sourceLocation: sourceLocation)
                end = message.offset + message.bytes
            }
            #expect(
                end == total, "\(dir) messages cover \(end) of \(total) bytes", sourceLocation: sourceLocation
            )
        }
        // Every reply names an earlier message of the other direction; the first reply to each
        // request has a latency, the later ones none.
        var answered: Set<String> = []
        var merged: [(dir: String, message: Message)] = []
        merged += c2s.map { ("c2s", $0) }
        merged += s2c.map { ("s2c", $0) }
        for (dir, message) in merged {
            guard let request = message.request else {
                #expect(message.latency == nil, "\(dir) \(message): latency without request")
                continue
            }
            let other = dir == "c2s" ? s2c : c2s
            #expect(
                request >= 0 && request < other.count, "\(dir) \(message)", sourceLocation: sourceLocation)
            let key = "\(dir) \(request)"
            let first = answered.insert(key).inserted
            if first {
                #expect(
                    (message.latency ?? -1) >= 0, "\(dir) \(message): first reply without latency_ms",
                    sourceLocation: sourceLocation)
            } else {
                #expect(
                    message.latency == nil, "\(dir) \(message): a later reply with latency_ms",
                    sourceLocation: sourceLocation)
            }
        }
    }

    /// The byte counts of session `conn` from its `close` event: (c2s, s2c) read bytes, with the
    /// check that each direction wrote what it read.
    static func closeBytes(
        _ events: [[String: Any]], conn: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (c2s: Int, s2c: Int) {
        let close = try #require(named(events, "close", conn: conn).first, sourceLocation: sourceLocation)
        var totals: [Int] = []
        for dir in ["c2s", "s2c"] {
            let stats = try #require(close[dir] as? [String: Any], sourceLocation: sourceLocation)
            let read = try #require(stats["read_bytes"] as? Int, sourceLocation: sourceLocation)
            #expect(stats["write_bytes"] as? Int == read, "\(dir): \(stats)", sourceLocation: sourceLocation)
            totals.append(read)
        }
        return (totals[0], totals[1])
    }

    /// The `decoder` and `message` events among `events`, each as JSON with sorted keys and
    /// without its time: what a capture must give back (`flowtap view FILE --json`).
    static func decodingLines(_ events: [[String: Any]]) throws -> [String] {
        try events.filter { ["decoder", "message"].contains($0["event"] as? String ?? "") }.map { event in
            var event = event
            event["t"] = nil
            return String(
                decoding: try JSONSerialization.data(withJSONObject: event, options: .sortedKeys),
                as: UTF8.self)
        }
    }

    /// Checks that the capture `file` gives back the `decoder` and `message` events of `live`
    /// (`flowtap view FILE --json`).
    static func checkCapture(
        _ file: String, matches live: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let view = try await runCommand(FlowtapProcess.binary, ["view", file, "--headless", "--json"])
        #expect(view.status == 0, "\(view.err)", sourceLocation: sourceLocation)
        let viewed = view.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let expected = try decodingLines(live)
        #expect(!expected.isEmpty, sourceLocation: sourceLocation)
        #expect(try decodingLines(viewed) == expected, sourceLocation: sourceLocation)
    }
}

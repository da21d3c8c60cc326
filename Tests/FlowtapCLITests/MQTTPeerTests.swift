import Foundation
import TestSupport
import Testing

/// Issue 13's proof with a real MQTT broker: mosquitto (on a Unix socket of its own) with
/// mosquitto_sub and mosquitto_pub through the real `flowtap proxy --json --decode …`, and the
/// message events, summaries and pairing flowtap reports, besides what the clients got.
@Suite(
    "flowtap proxy --decode in front of a real mosquitto", .leavesNoProcesses,
    .enabled(if: MosquittoBroker.binaries != nil, "mosquitto or its clients are not installed (see .ci/run)"))
struct MQTTPeerTests {
    /// The (c2s, s2c) bytes session `conn` carried so far, from its `data` events.
    static func dataBytes(_ events: [[String: Any]], conn: Int) -> (c2s: Int, s2c: Int) {
        var totals = (c2s: 0, s2c: 0)
        for event in named(events, "data", conn: conn) {
            let count = event["bytes"] as? Int ?? 0
            if event["dir"] as? String == "c2s" { totals.c2s += count } else { totals.s2c += count }
        }
        return totals
    }

    @Test(
        "mosquitto_sub and mosquitto_pub QoS 0/1/2 with --decode auto: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBACK, PUBREC/PUBREL/PUBCOMP, PINGREQ/PINGRESP paired"
    )
    func subscribeAndPublish() async throws {
        let broker = try await MosquittoBroker()
        do {
            let folder = try Unprivileged.makeDirectory(prefix: "flowtap-mqc")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let listen = folder + "/flowtap.sock"
            let flowtap = try FlowtapProcess([
                "unix-listen:\(listen)", broker.target, "--json", "--decode", "auto",
            ])
            try await flowtap.waitForLine { $0.contains("\"listening\"") }
            let client = ["--unix", listen]
            // Keep-alive 5 s (mosquitto_sub's least): it pings the broker while it waits.
            let sub = try ChildProcess(
                broker.binaries.sub,
                client + ["-t", "a/#", "-q", "2", "-C", "4", "-k", "5", "-v", "-i", "sub"])
            // Subscribed once CONNACK (4 bytes) and SUBACK (5 bytes) came back: session 1.
            try await flowtap.waitForEvents { Self.dataBytes($0, conn: 1).s2c >= 9 }
            for qos in 0...2 {
                let pub = try await runCommand(
                    broker.binaries.pub,
                    client + ["-t", "a/b", "-m", "hello \(qos)", "-q", "\(qos)", "-i", "pub\(qos)"])
                #expect(pub.status == 0, "\(pub)")
            }
            // The subscriber's PINGREQ (and the broker's PINGRESP) come after 5 s of quiet.
            try await flowtap.waitForEvents(timeout: 60) { events in
                MessageLog(events, conn: 1).s2c.contains { $0.summary == "PINGRESP" }
            }
            let last = try await runCommand(
                broker.binaries.pub, client + ["-t", "a/b", "-m", "last", "-i", "pub9"])
            #expect(last.status == 0, "\(last)")
            // Every byte got through: the subscriber printed the four messages and ended.
            #expect(try await sub.waitForExit(timeout: .seconds(30)) == 0, "\(sub.standardError)")
            #expect(sub.outputLines == ["a/b hello 0", "a/b hello 1", "a/b hello 2", "a/b last"])
            try await flowtap.waitForEvents { named($0, "close").count == 5 }
            flowtap.signal(SIGTERM)
            #expect(try await flowtap.waitExit() == 0)
            let events = flowtap.events
            var logs: [Int: MessageLog] = [:]
            for conn in 1...5 {
                let log = MessageLog(events, conn: conn)
                #expect(log.decoder == "mqtt", "session \(conn)")
                let bytes = try MessageLog.closeBytes(events, conn: conn)
                log.checkInvariants(proto: "mqtt", c2sBytes: bytes.c2s, s2cBytes: bytes.s2c)
                // The message is the chunk: no data event holds a message end but at its own end.
                checkMessagesFollowData(events, conn: conn)
                for dir in ["c2s", "s2c"] { checkCutAtMessages(events, conn: conn, dir) }
                logs[conn] = log
            }

            // The subscriber: the broker forwards at the publisher's QoS, with its own ids. Its
            // pings come every 5 s of quiet, wherever that fell (a loaded machine may be slow to
            // start the publishers): set apart, each PINGRESP answers the PINGREQ of its rank.
            let subscriber = try #require(logs[1])
            let isPing: (String) -> Bool = { $0 == "PINGREQ" || $0 == "PINGRESP" }
            let pingRequests = subscriber.c2s.filter { $0.summary == "PINGREQ" }.map(\.index)
            let pingReplies = subscriber.s2c.filter { $0.summary == "PINGRESP" }
            #expect(!pingReplies.isEmpty && pingReplies.count <= pingRequests.count, "\(subscriber.c2s)")
            #expect(pingReplies.map(\.request) == Array(pingRequests.prefix(pingReplies.count)))
            #expect(
                subscriber.pairs("s2c").filter { !isPing($0.reply) }.map {
                    "\($0.reply) → \($0.request ?? "-")"
                } == [
                    "CONNACK rc=0 → CONNECT v3.1.1 client=sub", "SUBACK id=1 → SUBSCRIBE id=1 a/#",
                    "PUBLISH a/b → -", "PUBLISH a/b qos1 id=1 → -", "PUBLISH a/b qos2 id=2 → -",
                    "PUBREL id=2 → PUBREC id=2", "PUBLISH a/b → -",
                ])
            // The broker's publishes are requests too: the subscriber's acks answer them.
            #expect(
                subscriber.pairs("c2s").filter { !isPing($0.reply) }.map {
                    "\($0.reply) → \($0.request ?? "-")"
                } == [
                    "CONNECT v3.1.1 client=sub → -", "SUBSCRIBE id=1 a/# → -",
                    "PUBACK id=1 → PUBLISH a/b qos1 id=1", "PUBREC id=2 → PUBLISH a/b qos2 id=2",
                    "PUBCOMP id=2 → PUBREL id=2", "DISCONNECT → -",
                ])
            #expect(try subscriber.first("s2c", "CONNACK rc=0").latency != nil)
            #expect(try subscriber.first("s2c", "PINGRESP").latency != nil)
            #expect(try subscriber.first("c2s", "PUBACK id=1").latency != nil)

            // The publishers, one session each.
            let expected: [Int: (c2s: [String], s2c: [String])] = [
                2: (
                    ["CONNECT v3.1.1 client=pub0 → -", "PUBLISH a/b → -", "DISCONNECT → -"],
                    ["CONNACK rc=0 → CONNECT v3.1.1 client=pub0"]
                ),
                3: (
                    ["CONNECT v3.1.1 client=pub1 → -", "PUBLISH a/b qos1 id=1 → -", "DISCONNECT → -"],
                    ["CONNACK rc=0 → CONNECT v3.1.1 client=pub1", "PUBACK id=1 → PUBLISH a/b qos1 id=1"]
                ),
                4: (
                    [
                        "CONNECT v3.1.1 client=pub2 → -", "PUBLISH a/b qos2 id=1 → -",
                        "PUBREL id=1 → PUBREC id=1",
                        "DISCONNECT → -",
                    ],
                    [
                        "CONNACK rc=0 → CONNECT v3.1.1 client=pub2", "PUBREC id=1 → PUBLISH a/b qos2 id=1",
                        "PUBCOMP id=1 → PUBREL id=1",
                    ]
                ),
                5: (
                    ["CONNECT v3.1.1 client=pub9 → -", "PUBLISH a/b → -", "DISCONNECT → -"],
                    ["CONNACK rc=0 → CONNECT v3.1.1 client=pub9"]
                ),
            ]
            for (conn, want) in expected.sorted(by: { $0.key < $1.key }) {
                let log = try #require(logs[conn])
                #expect(
                    log.pairs("c2s").map { "\($0.reply) → \($0.request ?? "-")" } == want.c2s,
                    "session \(conn)")
                #expect(
                    log.pairs("s2c").map { "\($0.reply) → \($0.request ?? "-")" } == want.s2c,
                    "session \(conn)")
            }
            #expect(try logs[3]?.first("s2c", "PUBACK id=1").latency != nil)
            #expect(try logs[4]?.first("s2c", "PUBCOMP id=1").latency != nil)
            #expect(named(events, "decode_error").isEmpty, "\(named(events, "decode_error"))")
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    @Test("headless text: one line per packet, acks with their request and latency")
    func headlessText() async throws {
        let broker = try await MosquittoBroker()
        do {
            let folder = try Unprivileged.makeDirectory(prefix: "flowtap-mqc")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let listen = folder + "/flowtap.sock"
            let flowtap = try FlowtapProcess([
                "unix-listen:\(listen)", broker.target, "--headless", "--once", "--decode", "auto",
            ])
            try await flowtap.waitForLine { $0.contains("listening on ") }
            let pub = try await runCommand(
                broker.binaries.pub,
                ["--unix", listen, "-t", "a/b", "-m", "text", "-q", "1", "-i", "pubtext"])
            #expect(pub.status == 0, "\(pub)")
            #expect(try await flowtap.waitExit() == 0)
            let lines = flowtap.output
            #expect(lines.contains { $0.hasSuffix(" #1 decoded as mqtt") }, "\(lines)")
            let latency = #"[0-9]+\.[0-9]{3} ms"#
            for pattern in [
                #"#1 c2s mqtt #0 CONNECT v3\.1\.1 client=pubtext \([0-9]+ B\)$"#,
                #"#1 s2c mqtt #0 CONNACK rc=0 \(4 B, reply to #0, "# + latency + #"\)$"#,
                #"#1 c2s mqtt #1 PUBLISH a/b qos1 id=1 \(13 B\)$"#,
                #"#1 s2c mqtt #1 PUBACK id=1 \(4 B, reply to #1, "# + latency + #"\)$"#,
                #"#1 c2s mqtt #2 DISCONNECT \(2 B\)$"#,
            ] {
                let regex = try Regex(pattern)
                #expect(
                    lines.contains { (try? regex.firstMatch(in: $0)) != nil }, "\(pattern) among \(lines)")
            }
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    @Test(
        "mosquitto_pub over MQTT 5 with --decode mqtt: CONNECT v5 and a retained QoS 1 PUBLISH acked; a subscriber gets it; the capture keeps them"
    )
    func mqtt5() async throws {
        let broker = try await MosquittoBroker()
        do {
            let folder = try Unprivileged.makeDirectory(prefix: "flowtap-mqc")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let listen = folder + "/flowtap.sock"
            let capture = folder + "/session.pcapng"
            let flowtap = try FlowtapProcess([
                "unix-listen:\(listen)", broker.target, "--json", "--once", "--decode", "mqtt", "-w", capture,
            ])
            try await flowtap.waitForLine { $0.contains("\"listening\"") }
            let pub = try await runCommand(
                broker.binaries.pub,
                [
                    "--unix", listen, "-V", "mqttv5", "-t", "v5/topic", "-m", "retained five", "-q", "1",
                    "-r", "-i", "pub5",
                ])
            #expect(pub.status == 0, "\(pub)")
            #expect(try await flowtap.waitExit() == 0)
            // The broker kept what went through flowtap.
            let sub = try await runCommand(
                broker.binaries.sub, broker.clientArguments + ["-t", "v5/topic", "-C", "1"])
            #expect(sub.status == 0, "\(sub)")
            #expect(sub.out == "retained five\n")
            let events = flowtap.events
            let log = MessageLog(events, conn: 1)
            #expect(log.decoder == "mqtt")
            let bytes = try MessageLog.closeBytes(events, conn: 1)
            log.checkInvariants(proto: "mqtt", c2sBytes: bytes.c2s, s2cBytes: bytes.s2c)
            // The message is the chunk: no data event holds a message end but at its own end.
            checkMessagesFollowData(events, conn: 1)
            for dir in ["c2s", "s2c"] { checkCutAtMessages(events, conn: 1, dir) }
            #expect(
                log.summaries("c2s") == [
                    "CONNECT v5 client=pub5", "PUBLISH v5/topic qos1 id=1 retain", "DISCONNECT",
                ])
            #expect(
                log.pairs("s2c").map { "\($0.reply) → \($0.request ?? "-")" } == [
                    "CONNACK rc=0 → CONNECT v5 client=pub5",
                    "PUBACK id=1 → PUBLISH v5/topic qos1 id=1 retain",
                ])
            // The capture keeps the message events: view gives them back.
            try await MessageLog.checkCapture(capture, matches: events)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }
}

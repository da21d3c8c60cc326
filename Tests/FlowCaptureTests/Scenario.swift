import FlowCore
import FlowEvents
import NIOCore

@testable import FlowCapture

/// Seeded random sessions, interleaved: IPv4, IPv6, Unix sockets, mixed families, connect
/// errors, a session opened before the capture; chunks of 1 byte to 200 KiB, half-closes in
/// both orders, read and write errors, pause/step/resume, faults, edits, drops, injections,
/// rewrites and notes, and a `close` with random statistics. Data offsets are left at 0 (the
/// writer ignores them; see ``withOffsets(_:)``).
enum Scenario {
    static func events(seed: UInt64, sessions count: Int = 10) -> [SessionEvent] {
        var random = SeededRandom(seed: seed)
        var scripts: [(Int, [SessionEvent.Kind])] = []
        for id in 1...count {
            scripts.append((id, script(id: id, random: &random)))
        }
        var time: UInt64 = 1_764_000_000_000_000_000 + random.next() % 1_000_000_000
        var events: [SessionEvent] = []
        var cursors = [Int](repeating: 0, count: scripts.count)
        while true {
            let live = scripts.indices.filter { cursors[$0] < scripts[$0].1.count }
            guard let index = live.randomElement(using: &random) else { break }
            time += 1 + random.next() % 2_000_000
            events.append(SessionEvent(conn: scripts[index].0, scripts[index].1[cursors[index]], time: time))
            cursors[index] += 1
        }
        return events
    }

    static func chunk(_ random: inout SeededRandom) -> ByteBuffer {
        let roll = random.next() % 100
        let size: Int
        if roll < 70 {
            size = 1 + Int(random.next() % 200)
        } else if roll < 90 {
            size = 200 + Int(random.next() % 20_000)
        } else {
            size = 20_000 + Int(random.next() % (200 * 1024 - 20_000 + 1))
        }
        return ByteBuffer(bytes: random.bytes(size))
    }

    /// 1 byte to 2000: the original of an edited or dropped chunk (kept as hex in its record,
    /// which readers parse as JSON; the clipping test tries big ones).
    static func smallChunk(_ random: inout SeededRandom) -> ByteBuffer {
        ByteBuffer(bytes: random.bytes(1 + Int(random.next() % 2000)))
    }

    /// Random statistics; the duration is whole microseconds, all a capture's JSON keeps of it.
    static func stats(_ random: inout SeededRandom) -> Stats {
        Stats(
            readBytes: Int(random.next() % (1 << 40)), readOps: Int(random.next() % 100_000),
            writeBytes: Int(random.next() % (1 << 40)), writeOps: Int(random.next() % 100_000),
            duration: .microseconds(Int64(random.next() % 100_000_000_000)))
    }

    /// A `close` with random statistics.
    static func closeKind(_ random: inout SeededRandom) -> SessionEvent.Kind {
        .close(c2s: stats(&random), s2c: stats(&random))
    }

    /// A SHA-256 in hex, as events carry them.
    static func digest(_ random: inout SeededRandom) -> String {
        Hex.encode(ByteBuffer(bytes: random.bytes(32)))
    }

    private static func script(id: Int, random: inout SeededRandom) -> [SessionEvent.Kind] {
        let port = 40_000 + id
        let client: PeerAddress
        let server: PeerAddress
        switch id % 5 {
        case 0: (client, server) = (.ip(host: "127.0.0.1", port: port), .ip(host: "127.0.0.1", port: 6379))
        case 1: (client, server) = (.ip(host: "::1", port: port), .ip(host: "::1", port: 8080))
        case 2: (client, server) = (.unix(path: ""), .unix(path: "/tmp/flowtap test.sock"))
        case 3: (client, server) = (.ip(host: "::1", port: port), .ip(host: "10.1.2.3", port: 80))
        default: (client, server) = (.ip(host: "192.168.7.9", port: port), .unix(path: "/run/app.sock"))
        }
        if id == 7 {
            return [
                .connectError(client: client, target: server, error: "connection refused"),
                closeKind(&random),
            ]
        }
        var events: [SessionEvent.Kind] = id == 9 ? [] : [.open(client: client, target: server)]
        for _ in 0..<(4 + Int(random.next() % 16)) {
            let direction: Direction = random.next() % 2 == 0 ? .c2s : .s2c
            switch random.next() % 16 {
            case 0: events += [.pause(direction), .step(direction), .resume(direction)]
            case 1: events.append(.note("held \(random.next() % 100) bytes — \"quoted\"\nline 2"))
            case 2: events += [.fault(direction, "latency=200ms"), .fault(direction, "-latency=200ms")]
            case 3:
                let original = smallChunk(&random)
                let sent = chunk(&random)
                events += [
                    .pause(direction),
                    .edit(
                        direction, originalBytes: original.readableBytes, originalSHA256: digest(&random),
                        bytes: sent.readableBytes,
                        original: original),
                    data(direction, sent),
                ]
            case 4:
                let original = smallChunk(&random)
                events.append(
                    .drop(
                        direction, bytes: original.readableBytes, sha256: digest(&random),
                        original: original))
            case 5:
                let typed = chunk(&random)
                events += [.inject(direction, bytes: typed.readableBytes), data(direction, typed)]
            case 6:
                let sent = chunk(&random)
                events += [
                    .rewrite(
                        direction, count: 1 + Int(random.next() % 5), originalBytes: Int(random.next() % 300),
                        bytes: sent.readableBytes, originalSHA256: digest(&random)),
                    data(direction, sent),
                ]
            default: events.append(data(direction, chunk(&random)))
            }
        }
        let first: Direction = random.next() % 2 == 0 ? .c2s : .s2c
        switch random.next() % 5 {
        case 0:
            events += [
                .readError(first, "connection reset by peer"), .writeError(first.reversed, "broken pipe"),
            ]
        case 1:
            events += [data(first, chunk(&random)), .writeError(first, "connection reset by peer")]
        default:
            events += [.eof(first), .shutdown(first), data(first.reversed, chunk(&random))]
            events += [.eof(first.reversed), .shutdown(first.reversed)]
        }
        events.append(closeKind(&random))
        return events
    }
}

import FlowEvents
import NIOCore

@testable import FlowCapture

/// Seeded random sessions, interleaved: IPv4, IPv6, Unix sockets, mixed families, connect
/// errors, a session opened before the capture; chunks of 1 byte to 200 KiB, half-closes in
/// both orders, read and write errors, pause/step/resume and notes.
enum Scenario {
    static func records(seed: UInt64, sessions count: Int = 10) -> [CaptureRecord] {
        var random = SeededRandom(seed: seed)
        var scripts: [(Int, [CaptureEvent])] = []
        for id in 1...count {
            scripts.append((id, script(id: id, random: &random)))
        }
        var time: UInt64 = 1_764_000_000_000_000_000 + random.next() % 1_000_000_000
        var records: [CaptureRecord] = []
        var cursors = [Int](repeating: 0, count: scripts.count)
        while true {
            let live = scripts.indices.filter { cursors[$0] < scripts[$0].1.count }
            guard let index = live.randomElement(using: &random) else { break }
            time += 1 + random.next() % 2_000_000
            records.append(
                CaptureRecord(
                    session: scripts[index].0, timestamp: time, event: scripts[index].1[cursors[index]]))
            cursors[index] += 1
        }
        return records
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

    private static func script(id: Int, random: inout SeededRandom) -> [CaptureEvent] {
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
            return [.connectError(client: client, server: server, error: "connection refused"), .close]
        }
        var events: [CaptureEvent] = id == 9 ? [] : [.open(client: client, server: server)]
        for _ in 0..<(4 + Int(random.next() % 16)) {
            let direction: Direction = random.next() % 2 == 0 ? .c2s : .s2c
            switch random.next() % 10 {
            case 0: events += [.pause(direction), .step(direction), .resume(direction)]
            case 1: events.append(.note("held \(random.next() % 100) bytes — \"quoted\"\nline 2"))
            default: events.append(.data(direction, chunk(&random)))
            }
        }
        let first: Direction = random.next() % 2 == 0 ? .c2s : .s2c
        switch random.next() % 5 {
        case 0:
            events += [
                .readError(first, "connection reset by peer"), .writeError(first.reversed, "broken pipe"),
            ]
        case 1:
            events += [.data(first, chunk(&random)), .writeError(first, "connection reset by peer")]
        default:
            events += [.eof(first), .shutdown(first), .data(first.reversed, chunk(&random))]
            events += [.eof(first.reversed), .shutdown(first.reversed)]
        }
        events.append(.close)
        return events
    }
}

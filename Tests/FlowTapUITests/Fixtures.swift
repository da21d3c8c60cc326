import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore

/// Snapshots built through a real ``InspectorModel`` from events, as the engine would report them.
enum Fixtures {
    static let t0: UInt64 = 1_700_000_000_000_000_000
    static let second: UInt64 = 1_000_000_000

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
    static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// A model fed with `events` (session, offset in ms from t0, kind).
    static func model(
        _ events: [(Int?, UInt64, SessionEvent.Kind)], target: String = "127.0.0.1:6379"
    ) -> InspectorModel {
        let model = InspectorModel(target: target, capturePath: "s.pcapng")
        model.record(SessionEvent(conn: nil, .listening(address: "127.0.0.1:8080"), time: t0))
        for (session, ms, kind) in events {
            model.record(SessionEvent(conn: session, kind, time: t0 + ms * 1_000_000))
        }
        return model
    }

    /// The view state and the commands after pressing `keys` in turn over `snapshot`.
    static func press(_ keys: [Key], _ view: ViewState, _ snapshot: InspectorSnapshot) -> (
        ViewState, [Command]
    ) {
        var view = view
        var all: [Command] = []
        for key in keys {
            let (next, commands) = KeyHandler.handle(view, key, snapshot)
            view = next
            all += commands
        }
        return (view, all)
    }

    static let client1 = PeerAddress.ip(host: "127.0.0.1", port: 53422)
    static let client2 = PeerAddress.ip(host: "127.0.0.1", port: 53430)
    static let target = PeerAddress.ip(host: "127.0.0.1", port: 6379)

    /// DESIGN.md §7's screen: session 1 open both ways; session 2 with c2s shut after a Redis
    /// PING (14 B) and 4 more bytes, s2c EOF and paused holding "+PONG\r\n".
    static func redis() -> InspectorModel { model(redisEvents) }

    /// The events behind ``redis()``.
    static let redisEvents: [(Int?, UInt64, SessionEvent.Kind)] = [
        (1, 0, .open(client: client1, target: target)),
        (1, 10, .data(.c2s, offset: 0, bytes: buffer(String(repeating: "a", count: 1200)))),
        (1, 20, .data(.s2c, offset: 0, bytes: buffer(String(repeating: "b", count: 14_000)))),
        (2, 9000, .open(client: client2, target: target)),
        (2, 9010, .data(.c2s, offset: 0, bytes: buffer("*1\r\n$4\r\nPING\r\n"))),
        (2, 9020, .data(.c2s, offset: 14, bytes: buffer("QUIT"))),
        (2, 9030, .eof(.c2s)),
        (2, 9031, .shutdown(.c2s)),
        (2, 9040, .pause(.s2c)),
        (2, 9051, .held(.s2c, HeldChunk(number: 1, bytes: buffer("+PONG\r\n")))),
        (2, 9060, .eof(.s2c)),
    ]

    static let setCommand = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    static let getCommand = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    static let heldSet = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nw\r\n"

    static func resp(
        _ index: Int, _ offset: Int, _ bytes: Int, _ summary: String, request: Int? = nil,
        latency: UInt64? = nil
    ) -> DecodedMessage {
        DecodedMessage(
            proto: "resp", index: index, offset: offset, bytes: bytes, summary: summary, request: request,
            latency: latency)
    }

    /// A decoded Redis session: a pipelined SET (27 B) and GET (20 B), their replies +OK (after
    /// 0.4 ms) and `$1 v` (after 150 ms: slow), then a second SET held by the breakpoint
    /// `c2s:SET`.
    static let messageEvents: [(Int?, UInt64, SessionEvent.Kind)] = [
        (1, 0, .open(client: client1, target: target)),
        (1, 1, .decoder("resp")),
        (1, 10, .data(.c2s, offset: 0, bytes: buffer(setCommand + getCommand))),
        (1, 10, .message(.c2s, resp(0, 0, 27, "SET k v"))),
        (1, 10, .message(.c2s, resp(1, 27, 20, "GET k"))),
        (1, 11, .data(.s2c, offset: 0, bytes: buffer("+OK\r\n"))),
        (1, 11, .message(.s2c, resp(0, 0, 5, "+OK", request: 0, latency: 400_000))),
        (1, 160, .data(.s2c, offset: 5, bytes: buffer("$1\r\nv\r\n"))),
        (1, 160, .message(.s2c, resp(1, 5, 7, "$1 v", request: 1, latency: 150_000_000))),
        (1, 200, .held(.c2s, HeldChunk(number: 1, bytes: buffer(heldSet), breakpoint: "c2s:SET"))),
    ]

    static func messages() -> InspectorModel { model(messageEvents) }
}

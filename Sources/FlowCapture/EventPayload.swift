import FlowEvents
import Foundation

/// The machine-readable payload of a packet on the event interface: one line of JSON,
/// versioned, e.g. `{"dir":"c2s","error":"connection reset by peer","event":"write_error",
/// "session":3,"v":1}`.
///
/// Fields: `v` (format version, 1), `session`, `event` (the names of DESIGN.md §6: `open`,
/// `connect_error`, `eof`, `shutdown`, `read_error`, `write_error`, `pause`, `resume`, `step`,
/// `note`, `close`, and `bind`, which carries no record: it names the TCP endpoints of a session
/// whose open is not in the capture), `dir`, `error`, `text`, `client`/`server`
/// (`{"ip":"::1","port":80}` or `{"unix":"/path"}`) and `tcp` (`{"client":"127.0.0.1:5","server":…}`,
/// the endpoints of the synthesized TCP conversation, on `open` and `bind`). Readers ignore
/// fields they do not know; a higher `v` is refused.
struct EventPayload: Codable, Equatable {
    struct Address: Codable, Equatable {
        var ip: String?
        var port: Int?
        var unix: String?
    }

    struct Conversation: Codable, Equatable {
        var client: String
        var server: String
    }

    static let version = 1

    /// The tags before the JSON on the event interface (link type 252): "dissect with `json`"
    /// (tag 12), "protocol column `flowtap`" (tag 33, shown as "flowtap/JSON"), end of tags (0).
    /// Tags are big-endian: code, length, value padded to 4 bytes.
    static let exportedPDUHeader: [UInt8] =
        [0, 12, 0, 4] + Array("json".utf8) + [0, 33, 0, 8] + Array("flowtap\u{0}".utf8) + [0, 0, 0, 0]

    /// The JSON of an event packet: after the exported-PDU tags for link type 252, the whole
    /// packet for link type 147.
    static func json(in packet: ArraySlice<UInt8>, linkType: UInt16) throws(PayloadError) -> ArraySlice<UInt8>
    {
        guard linkType == PcapngBuilder.linkTypeUpperPDU else { return packet }
        var position = packet.startIndex
        while true {
            guard packet.endIndex - position >= 4 else { throw PayloadError(text: "bad exported PDU tags") }
            let code = ByteReader.network(packet, position - packet.startIndex, 2)
            let length = Int(ByteReader.network(packet, position - packet.startIndex + 2, 2))
            position += 4
            if code == 0 { return packet[position...] }
            guard packet.endIndex - position >= length else {
                throw PayloadError(text: "bad exported PDU tags")
            }
            position += length
        }
    }

    var v: Int = EventPayload.version
    var session: Int
    var event: String
    var dir: String?
    var error: String?
    var text: String?
    var client: Address?
    var server: Address?
    var tcp: Conversation?

    init(session: Int, event: String) {
        self.session = session
        self.event = event
    }

    /// The longest error or note text kept, in UTF-8 bytes; longer ones are cut and end in "…".
    /// With addresses cut at ``maxAddress``, an event packet stays under Wireshark's 256 KiB
    /// packet limit even if every character needs a six-byte JSON escape.
    static let maxText = 32 * 1024
    /// The longest host or socket path kept (Unix socket paths are at most 108 bytes).
    static let maxAddress = 4 * 1024

    /// `text`, cut at a character boundary to at most `limit` UTF-8 bytes plus "…".
    static func clip(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            count += String(scalar).utf8.count
            if count > limit { break }
            kept.append(scalar)
        }
        return String(kept) + "…"
    }

    /// The payload of `event` (not `.data`, which is carried by TCP). Texts longer than
    /// ``maxText`` and addresses longer than ``maxAddress`` are cut.
    init(session: Int, event: CaptureEvent, tcp: (client: WireEndpoint, server: WireEndpoint)?) {
        self.init(session: session, event: "")
        if let tcp { self.tcp = Conversation(client: tcp.client.description, server: tcp.server.description) }
        switch event {
        case .open(let c, let s):
            self.event = "open"
            client = Address(c)
            server = Address(s)
        case .connectError(let c, let s, let e):
            self.event = "connect_error"
            client = c.map { Address($0) }
            server = Address(s)
            error = Self.clip(e, Self.maxText)
        case .data(let d, _):
            self.event = "data"
            dir = d.rawValue
        case .eof(let d): set("eof", d)
        case .shutdown(let d): set("shutdown", d)
        case .readError(let d, let e):
            set("read_error", d)
            error = Self.clip(e, Self.maxText)
        case .writeError(let d, let e):
            set("write_error", d)
            error = Self.clip(e, Self.maxText)
        case .pause(let d): set("pause", d)
        case .resume(let d): set("resume", d)
        case .step(let d): set("step", d)
        case .note(let t):
            self.event = "note"
            text = Self.clip(t, Self.maxText)
        case .close: self.event = "close"
        }
    }

    private mutating func set(_ name: String, _ direction: Direction) {
        event = name
        dir = direction.rawValue
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Decodes a payload; the error text says what is wrong.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(PayloadError) -> EventPayload {
        let payload: EventPayload
        do {
            payload = try JSONDecoder().decode(EventPayload.self, from: Data(bytes))
        } catch {
            throw PayloadError(text: "not a flowtap event")
        }
        guard payload.v <= version, payload.v >= 1 else {
            throw PayloadError(text: "unsupported event payload version \(payload.v)")
        }
        return payload
    }

    struct PayloadError: Error {
        var text: String
    }

    /// The event this payload describes; `nil` for `bind`, which has none.
    func captureEvent() throws(PayloadError) -> CaptureEvent? {
        func direction() throws(PayloadError) -> Direction {
            guard let dir, let value = Direction(rawValue: dir) else {
                throw PayloadError(text: "event \(event) without a valid dir")
            }
            return value
        }
        func required(_ value: String?, _ name: String) throws(PayloadError) -> String {
            guard let value else { throw PayloadError(text: "event \(event) without \(name)") }
            return value
        }
        func address(_ value: Address?, _ name: String) throws(PayloadError) -> PeerAddress {
            if let value, let path = value.unix, value.ip == nil { return .unix(path: path) }
            if let value, let host = value.ip, let port = value.port, value.unix == nil {
                return .ip(host: host, port: port)
            }
            throw PayloadError(text: "event \(event) without a valid \(name)")
        }
        switch event {
        case "open":
            return .open(client: try address(client, "client"), server: try address(server, "server"))
        case "connect_error":
            return .connectError(
                client: client == nil ? nil : try address(client, "client"),
                server: try address(server, "server"),
                error: try required(error, "error"))
        case "eof": return .eof(try direction())
        case "shutdown": return .shutdown(try direction())
        case "read_error": return .readError(try direction(), try required(error, "error"))
        case "write_error": return .writeError(try direction(), try required(error, "error"))
        case "pause": return .pause(try direction())
        case "resume": return .resume(try direction())
        case "step": return .step(try direction())
        case "note": return .note(try required(text, "text"))
        case "close": return .close
        case "bind": return nil
        default: throw PayloadError(text: "unknown event \"\(event)\"")
        }
    }

    /// The TCP endpoints named in `tcp`, if any.
    func conversation() throws(PayloadError) -> (client: WireEndpoint, server: WireEndpoint)? {
        guard let tcp else { return nil }
        guard let c = WireEndpoint(parsing: tcp.client), let s = WireEndpoint(parsing: tcp.server) else {
            throw PayloadError(text: "event \(event) with invalid tcp endpoints")
        }
        return (c, s)
    }

    /// The text shown as the packet's comment: `"flowtap #3 c2s: write error: connection reset by peer"`.
    static func comment(session: Int, event: CaptureEvent, tcp: (client: WireEndpoint, server: WireEndpoint)?)
        -> String
    {
        let head = "flowtap #\(session)"
        func label(_ address: PeerAddress) -> String {
            switch address {
            case .ip: address.description
            case .unix(let path): path.isEmpty ? "unix:(unnamed)" : "unix:\(path)"
            }
        }
        switch event {
        case .open(let c, let s):
            var text = "\(head): open \(label(c)) → \(label(s))"
            if let tcp, tcp.client.description != c.description || tcp.server.description != s.description {
                text += " (TCP \(tcp.client) → \(tcp.server))"
            }
            return text
        case .connectError(_, let s, let e): return "\(head): connect to \(label(s)) failed: \(e)"
        case .data(let d, let b): return "\(head) \(d.rawValue): \(b.readableBytes) bytes"
        case .eof(let d): return "\(head) \(d.rawValue): EOF from the \(d == .c2s ? "client" : "server")"
        case .shutdown(let d):
            return "\(head) \(d.rawValue): shutdown, FIN passed on to the \(d == .c2s ? "server" : "client")"
        case .readError(let d, let e): return "\(head) \(d.rawValue): read error: \(e)"
        case .writeError(let d, let e): return "\(head) \(d.rawValue): write error: \(e)"
        case .pause(let d): return "\(head) \(d.rawValue): paused"
        case .resume(let d): return "\(head) \(d.rawValue): resumed"
        case .step(let d): return "\(head) \(d.rawValue): step"
        case .note(let t): return "\(head): \(t)"
        case .close: return "\(head): close"
        }
    }
}

extension EventPayload.Address {
    init(_ address: PeerAddress) {
        switch address {
        case .ip(let host, let port):
            self.init(ip: EventPayload.clip(host, EventPayload.maxAddress), port: port, unix: nil)
        case .unix(let path):
            self.init(ip: nil, port: nil, unix: EventPayload.clip(path, EventPayload.maxAddress))
        }
    }
}

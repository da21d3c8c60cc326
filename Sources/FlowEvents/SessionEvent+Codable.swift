import FlowCore
import NIOCore

/// The one schema of an event, shared by the JSON Lines log (`--json`), the capture's event
/// records and `flowtap view`: an object with `"t"` (seconds since the epoch, six decimals),
/// `"event"` (the names of DESIGN.md §6), `"conn"` for a session's events, and the fields of
/// its kind, in this order:
///
/// | event | fields |
/// |---|---|
/// | `listening` | `address` |
/// | `open` | `client`, `target` (and `client_unix`/`target_unix`: `true` for a Unix socket path; `target_name` when a proxy client named a host) |
/// | `connect_error` | `client`, `target`, `error` (and `client_unix`/`target_unix`, `target_name`) |
/// | `handshake_error` | `client`, `error` (and `client_unix`) |
/// | `data` | `dir`, `offset`, `bytes`, and with bytes included `hex`, with text included `text` |
/// | `eof`, `shutdown`, `pause`, `resume`, `step` | `dir` |
/// | `read_error`, `write_error` | `dir`, `error` |
/// | `fault` | `dir`, `fault` |
/// | `held` (never printed) | `dir`, `hold` (0: nothing held), `bytes`, with bytes included `hex`, with text `text`, `breakpoint` when one held it |
/// | `edit` | `dir`, `original_bytes`, `original_sha256`, `bytes`, with bytes included `original_hex`, with text `original_text` |
/// | `drop` | `dir`, `bytes`, `sha256`, with bytes included `hex`, with text `text` |
/// | `inject` | `dir`, `bytes` |
/// | `rewrite` | `dir`, `count`, `original_bytes`, `bytes`, `original_sha256` |
/// | `capture_error`, `accept_error` | `error` |
/// | `accept_paused` | `sessions`, `limit` |
/// | `accept_resumed` | `sessions` |
/// | `close` | `c2s`, `s2c`: `{read_bytes, read_ops, write_bytes, write_ops, duration_s}` |
/// | `gap` | `dir`, `from`, `to` (byte offsets of the direction: `from` ≤ `to`) |
/// | `note` | `text` |
/// | `control_error` | `error`, `line` (the command's line on stdin, from 1) |
/// | `decoder` | `proto` |
/// | `message` | `dir`, `proto`, `index`, `offset`, `bytes`, `summary`, for a reply `request`, for a first reply `latency_ms`, when cut short `truncated` |
/// | `decode_error` | `dir`, `proto`, `offset`, `error` |
/// | `breakpoints` | `breakpoints` (a list of `[DIR:]REGEX` texts) |
/// | `tls` | `side`, `version`, `cipher`, `sni`, `alpn` (absent when none), server side: `verified`, `subject`, `issuer`, `expiry` |
/// | `tls_error` | `side`, `error` (and `client`, `client_unix`, when the client is known) |
///
/// Set ``includeBytes`` to `true` in the encoder's `userInfo` to include the bytes as hex (`-x`,
/// and always in captures), and ``includeText`` to include them as escaped text (`"text"`, for
/// `edit` `"original_text"`; `--payload text`). Names are never renamed; new fields are only added, and readers ignore
/// fields they do not know. Decoding checks every field: a missing or wrong one is a
/// `DecodingError` naming it, never a trap.
extension SessionEvent: Codable {
    /// The `userInfo` key that makes encoding include the bytes of `data`, `edit`, `drop` and
    /// `held` (a `Bool`; absent means `false`).
    public static let includeBytes = CodingUserInfoKey(rawValue: "flowtap.includeBytes")!

    /// The `userInfo` key that makes encoding include the bytes of `data`, `edit`, `drop` and
    /// `held` as text in ``FlowCore/ByteEscapes`` notation (printable ASCII as is, `\\`, `\r`,
    /// `\n`, `\t`, else `\xNN`: reversible, and safe for a terminal); a `Bool`, absent means
    /// `false`. Decoding ignores these fields: the bytes are read from `hex`.
    public static let includeText = CodingUserInfoKey(rawValue: "flowtap.includeText")!

    enum Key: String, CodingKey {
        case t, event, conn, address, client, target, error, dir, offset, bytes, hex, fault, hold, sha256,
            count
        case text, c2s, s2c, from, to, sessions, limit, line
        case proto, index, summary, request, truncated, breakpoint, breakpoints
        case side, version, cipher, sni, alpn, verified, subject, issuer, expiry
        case latencyMs = "latency_ms"
        case clientUnix = "client_unix"
        case targetUnix = "target_unix"
        case targetName = "target_name"
        case originalBytes = "original_bytes"
        case originalSHA256 = "original_sha256"
        case originalHex = "original_hex"
        case originalText = "original_text"
    }

    enum StatsKey: String, CodingKey {
        case readBytes = "read_bytes"
        case readOps = "read_ops"
        case writeBytes = "write_bytes"
        case writeOps = "write_ops"
        case durationSeconds = "duration_s"
    }

    /// Encodes the event as its JSON object (see the table above).
    public func encode(to encoder: any Encoder) throws {
        let withBytes = encoder.userInfo[Self.includeBytes] as? Bool ?? false
        let withText = encoder.userInfo[Self.includeText] as? Bool ?? false
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(Seconds(nanoseconds: time), forKey: .t)
        try c.encode(kind.name, forKey: .event)
        try c.encodeIfPresent(conn, forKey: .conn)
        func peers(_ client: PeerAddress, _ target: PeerAddress) throws {
            try c.encode(client.description, forKey: .client)
            try c.encode(target.description, forKey: .target)
            if case .unix = client { try c.encode(true, forKey: .clientUnix) }
            if case .unix = target { try c.encode(true, forKey: .targetUnix) }
        }
        func stats(_ s: Stats, _ key: Key) throws {
            var n = c.nestedContainer(keyedBy: StatsKey.self, forKey: key)
            try n.encode(s.readBytes, forKey: .readBytes)
            try n.encode(s.readOps, forKey: .readOps)
            try n.encode(s.writeBytes, forKey: .writeBytes)
            try n.encode(s.writeOps, forKey: .writeOps)
            try n.encode(Seconds(s.duration), forKey: .durationSeconds)
        }
        if let direction = kind.direction { try c.encode(direction, forKey: .dir) }
        switch kind {
        case .listening(let address): try c.encode(address, forKey: .address)
        case .open(let client, let target):
            try peers(client, target)
            try c.encodeIfPresent(targetName, forKey: .targetName)
        case .connectError(let client, let target, let error):
            try peers(client, target)
            try c.encodeIfPresent(targetName, forKey: .targetName)
            try c.encode(error, forKey: .error)
        case .handshakeError(let client, let error):
            try c.encode(client.description, forKey: .client)
            if case .unix = client { try c.encode(true, forKey: .clientUnix) }
            try c.encode(error, forKey: .error)
        case .data(_, let offset, let bytes):
            try c.encode(offset, forKey: .offset)
            try c.encode(bytes.readableBytes, forKey: .bytes)
            if withBytes { try c.encode(Hex.encode(bytes), forKey: .hex) }
            if withText { try c.encode(ByteEscapes.encode(bytes.readableBytesView), forKey: .text) }
        case .eof, .shutdown, .pause, .resume, .step: break
        case .readError(_, let error), .writeError(_, let error): try c.encode(error, forKey: .error)
        case .fault(_, let fault): try c.encode(fault, forKey: .fault)
        case .held(_, let held):
            try c.encode(held?.number ?? 0, forKey: .hold)
            try c.encode(held?.bytes.readableBytes ?? 0, forKey: .bytes)
            if withBytes, let held { try c.encode(Hex.encode(held.bytes), forKey: .hex) }
            if withText, let held {
                try c.encode(ByteEscapes.encode(held.bytes.readableBytesView), forKey: .text)
            }
            try c.encodeIfPresent(held?.breakpoint, forKey: .breakpoint)
        case .edit(_, let originalBytes, let digest, let bytes, let original):
            try c.encode(originalBytes, forKey: .originalBytes)
            try c.encode(digest, forKey: .originalSHA256)
            try c.encode(bytes, forKey: .bytes)
            if withBytes, let original { try c.encode(Hex.encode(original), forKey: .originalHex) }
            if withText, let original {
                try c.encode(ByteEscapes.encode(original.readableBytesView), forKey: .originalText)
            }
        case .drop(_, let bytes, let digest, let original):
            try c.encode(bytes, forKey: .bytes)
            try c.encode(digest, forKey: .sha256)
            if withBytes, let original { try c.encode(Hex.encode(original), forKey: .hex) }
            if withText, let original {
                try c.encode(ByteEscapes.encode(original.readableBytesView), forKey: .text)
            }
        case .inject(_, let bytes): try c.encode(bytes, forKey: .bytes)
        case .rewrite(_, let count, let originalBytes, let bytes, let digest):
            try c.encode(count, forKey: .count)
            try c.encode(originalBytes, forKey: .originalBytes)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(digest, forKey: .originalSHA256)
        case .captureError(let error), .acceptError(let error): try c.encode(error, forKey: .error)
        case .acceptPaused(let sessions, let limit):
            try c.encode(sessions, forKey: .sessions)
            try c.encode(limit, forKey: .limit)
        case .acceptResumed(let sessions): try c.encode(sessions, forKey: .sessions)
        case .close(let c2s, let s2c):
            try stats(c2s, .c2s)
            try stats(s2c, .s2c)
        case .gap(_, let from, let to):
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
        case .note(let text): try c.encode(text, forKey: .text)
        case .controlError(let error, let line):
            try c.encode(error, forKey: .error)
            try c.encode(line, forKey: .line)
        case .decoder(let proto): try c.encode(proto, forKey: .proto)
        case .breakpoints(let list): try c.encode(list, forKey: .breakpoints)
        case .message(_, let m):
            try c.encode(m.proto, forKey: .proto)
            try c.encode(m.index, forKey: .index)
            try c.encode(m.offset, forKey: .offset)
            try c.encode(m.bytes, forKey: .bytes)
            try c.encode(m.summary, forKey: .summary)
            try c.encodeIfPresent(m.request, forKey: .request)
            try c.encodeIfPresent(m.latency.map(Milliseconds.init(nanoseconds:)), forKey: .latencyMs)
            if m.truncated { try c.encode(true, forKey: .truncated) }
        case .decodeError(_, let proto, let offset, let error):
            try c.encode(proto, forKey: .proto)
            try c.encode(offset, forKey: .offset)
            try c.encode(error, forKey: .error)
        case .tls(let summary):
            try c.encode(summary.side, forKey: .side)
            try c.encode(summary.version, forKey: .version)
            try c.encode(summary.cipher, forKey: .cipher)
            try c.encodeIfPresent(summary.sni, forKey: .sni)
            try c.encodeIfPresent(summary.alpn, forKey: .alpn)
            try c.encodeIfPresent(summary.verified, forKey: .verified)
            try c.encodeIfPresent(summary.subject, forKey: .subject)
            try c.encodeIfPresent(summary.issuer, forKey: .issuer)
            try c.encodeIfPresent(summary.expiry, forKey: .expiry)
        case .tlsError(let side, let error):
            try c.encode(side, forKey: .side)
            try c.encode(error, forKey: .error)
            if let clientAddress {
                try c.encode(clientAddress.description, forKey: .client)
                if case .unix = clientAddress { try c.encode(true, forKey: .clientUnix) }
            }
        }
    }

    /// Decodes an event written by ``encode(to:)``.
    /// - Throws: `DecodingError` for an unknown event name, a missing field, a field of the
    ///   wrong type, negative counts or offsets, or hex text that is not hex. A `data` event
    ///   needs its `hex`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let name = try c.decode(String.self, forKey: .event)
        let time = try c.decodeIfPresent(Seconds.self, forKey: .t)?.nanoseconds ?? 0
        let conn = try c.decodeIfPresent(Int.self, forKey: .conn)
        if let conn, !(0...SessionEvent.maximumConn).contains(conn) {
            throw DecodingError.dataCorruptedError(
                forKey: .conn, in: c, debugDescription: "conn must be from 0 to \(SessionEvent.maximumConn)")
        }
        func dir() throws -> Direction { try c.decode(Direction.self, forKey: .dir) }
        func string(_ key: Key) throws -> String { try c.decode(String.self, forKey: key) }
        func count(_ key: Key) throws -> Int { try c.decodeCount(forKey: key) }
        func bytes(_ key: Key) throws -> ByteBuffer? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let buffer = Hex.decode(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(key.rawValue) is not hex")
            }
            return buffer
        }
        func peer(_ key: Key, unix: Key) throws -> PeerAddress {
            let text = try string(key)
            if try c.decodeIfPresent(Bool.self, forKey: unix) == true { return .unix(path: text) }
            guard let address = PeerAddress(parsing: text) ?? named(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(key.rawValue) is not HOST:PORT")
            }
            return address
        }
        // A host that is not an IP literal (`connect_error` names the target as given:
        // "localhost:6379"), written as `description` writes it.
        func named(_ text: String) -> PeerAddress? {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            var host = text[..<colon]
            let port = text[text.index(after: colon)...]
            if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 {
                host = host.dropFirst().dropLast()
            } else if host.isEmpty || host.contains(":") {
                return nil
            }
            guard (1...5).contains(port.count), port.allSatisfy({ ("0"..."9").contains($0) }),
                let number = Int(port), number <= 65535
            else { return nil }
            return .ip(host: String(host), port: number)
        }
        func stats(_ key: Key) throws -> Stats {
            let n = try c.nestedContainer(keyedBy: StatsKey.self, forKey: key)
            func field(_ k: StatsKey) throws -> Int { try n.decodeCount(forKey: k) }
            return Stats(
                readBytes: try field(.readBytes), readOps: try field(.readOps),
                writeBytes: try field(.writeBytes), writeOps: try field(.writeOps),
                duration: try n.decode(Seconds.self, forKey: .durationSeconds).duration)
        }
        let kind: Kind
        switch name {
        case "listening": kind = .listening(address: try string(.address))
        case "open":
            kind = .open(
                client: try peer(.client, unix: .clientUnix), target: try peer(.target, unix: .targetUnix))
        case "connect_error":
            kind = .connectError(
                client: try peer(.client, unix: .clientUnix), target: try peer(.target, unix: .targetUnix),
                error: try string(.error))
        case "handshake_error":
            kind = .handshakeError(client: try peer(.client, unix: .clientUnix), error: try string(.error))
        case "data":
            guard let buffer = try bytes(.hex) else {
                throw DecodingError.keyNotFound(
                    Key.hex, .init(codingPath: c.codingPath, debugDescription: "a data event needs its hex"))
            }
            kind = .data(try dir(), offset: try count(.offset), bytes: buffer)
        case "eof": kind = .eof(try dir())
        case "shutdown": kind = .shutdown(try dir())
        case "read_error": kind = .readError(try dir(), try string(.error))
        case "write_error": kind = .writeError(try dir(), try string(.error))
        case "pause": kind = .pause(try dir())
        case "resume": kind = .resume(try dir())
        case "step": kind = .step(try dir())
        case "fault": kind = .fault(try dir(), try string(.fault))
        case "held":
            let number = try count(.hold)
            kind = .held(
                try dir(),
                number == 0
                    ? nil
                    : HeldChunk(
                        number: number, bytes: try bytes(.hex) ?? ByteBuffer(),
                        breakpoint: try c.decodeIfPresent(String.self, forKey: .breakpoint)))
        case "edit":
            kind = .edit(
                try dir(), originalBytes: try count(.originalBytes),
                originalSHA256: try string(.originalSHA256), bytes: try count(.bytes),
                original: try bytes(.originalHex))
        case "drop":
            kind = .drop(
                try dir(), bytes: try count(.bytes), sha256: try string(.sha256), original: try bytes(.hex))
        case "inject": kind = .inject(try dir(), bytes: try count(.bytes))
        case "rewrite":
            kind = .rewrite(
                try dir(), count: try count(.count), originalBytes: try count(.originalBytes),
                bytes: try count(.bytes), originalSHA256: try string(.originalSHA256))
        case "capture_error": kind = .captureError(try string(.error))
        case "accept_error": kind = .acceptError(try string(.error))
        case "accept_paused": kind = .acceptPaused(sessions: try count(.sessions), limit: try count(.limit))
        case "accept_resumed": kind = .acceptResumed(sessions: try count(.sessions))
        case "close": kind = .close(c2s: try stats(.c2s), s2c: try stats(.s2c))
        case "gap":
            let from = try count(.from)
            let to = try count(.to)
            guard from <= to else {
                throw DecodingError.dataCorruptedError(
                    forKey: .to, in: c, debugDescription: "to must not be before from")
            }
            kind = .gap(try dir(), from: from, to: to)
        case "note": kind = .note(try string(.text))
        case "control_error": kind = .controlError(try string(.error), line: try count(.line))
        case "decoder": kind = .decoder(try string(.proto))
        case "breakpoints": kind = .breakpoints(try c.decode([String].self, forKey: .breakpoints))
        case "message":
            let request = try c.decodeIfPresent(Int.self, forKey: .request)
            if let request, !(0...SessionEvent.maximumCount).contains(request) {
                throw DecodingError.dataCorruptedError(
                    forKey: .request, in: c, debugDescription: "request must be from 0 to 2^53")
            }
            kind = .message(
                try dir(),
                DecodedMessage(
                    proto: try string(.proto), index: try count(.index), offset: try count(.offset),
                    bytes: try count(.bytes), summary: try string(.summary), request: request,
                    latency: try c.decodeIfPresent(Milliseconds.self, forKey: .latencyMs)?.nanoseconds,
                    truncated: try c.decodeIfPresent(Bool.self, forKey: .truncated) ?? false))
        case "decode_error":
            kind = .decodeError(
                try dir(), proto: try string(.proto), offset: try count(.offset), error: try string(.error))
        case "tls":
            kind = .tls(
                TLSSummary(
                    side: try c.decode(TLSSummary.Side.self, forKey: .side), version: try string(.version),
                    cipher: try string(.cipher), sni: try c.decodeIfPresent(String.self, forKey: .sni),
                    alpn: try c.decodeIfPresent(String.self, forKey: .alpn),
                    verified: try c.decodeIfPresent(Bool.self, forKey: .verified),
                    subject: try c.decodeIfPresent(String.self, forKey: .subject),
                    issuer: try c.decodeIfPresent(String.self, forKey: .issuer),
                    expiry: try c.decodeIfPresent(Int64.self, forKey: .expiry)))
        case "tls_error":
            kind = .tlsError(
                side: try c.decode(TLSSummary.Side.self, forKey: .side), error: try string(.error))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: c, debugDescription: "unknown event \"\(name)\"")
        }
        self.init(conn: conn, kind, time: time)
        if name == "open" || name == "connect_error" {
            targetName = try c.decodeIfPresent(String.self, forKey: .targetName)
        }
        if name == "tls_error" && c.contains(.client) {
            clientAddress = try peer(.client, unix: .clientUnix)
        }
    }
}

extension SessionEvent.Kind {
    /// The event's JSON name (`"data"`, `"connect_error"`, …).
    public var name: String {
        switch self {
        case .listening: "listening"
        case .open: "open"
        case .connectError: "connect_error"
        case .data: "data"
        case .eof: "eof"
        case .shutdown: "shutdown"
        case .readError: "read_error"
        case .writeError: "write_error"
        case .pause: "pause"
        case .resume: "resume"
        case .step: "step"
        case .fault: "fault"
        case .held: "held"
        case .edit: "edit"
        case .drop: "drop"
        case .inject: "inject"
        case .rewrite: "rewrite"
        case .captureError: "capture_error"
        case .acceptError: "accept_error"
        case .acceptPaused: "accept_paused"
        case .acceptResumed: "accept_resumed"
        case .close: "close"
        case .gap: "gap"
        case .note: "note"
        case .controlError: "control_error"
        case .decoder: "decoder"
        case .message: "message"
        case .decodeError: "decode_error"
        case .breakpoints: "breakpoints"
        case .handshakeError: "handshake_error"
        case .tls: "tls"
        case .tlsError: "tls_error"
        }
    }

    /// The direction the event belongs to, if it has one.
    public var direction: Direction? {
        switch self {
        case .data(let d, _, _), .eof(let d), .shutdown(let d), .readError(let d, _), .writeError(let d, _),
            .pause(let d), .resume(let d), .step(let d), .fault(let d, _), .held(let d, _),
            .edit(let d, _, _, _, _), .drop(let d, _, _, _), .inject(let d, _), .rewrite(let d, _, _, _, _),
            .gap(let d, _, _), .message(let d, _), .decodeError(let d, _, _, _):
            d
        case .listening, .open, .connectError, .captureError, .close, .note, .acceptError, .acceptPaused,
            .acceptResumed, .controlError, .decoder, .breakpoints, .handshakeError, .tls, .tlsError:
            nil
        }
    }
}

extension KeyedDecodingContainer {
    /// A count or an offset: an integer from 0 to 2^53 (the integers JSON numbers hold
    /// exactly), so that sums of a few of them, as readers make, cannot overflow.
    fileprivate func decodeCount(forKey key: Key) throws -> Int {
        let value = try decode(Int.self, forKey: key)
        guard value >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(key.stringValue) must not be negative")
        }
        guard value <= SessionEvent.maximumCount else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "\(key.stringValue) must be at most 2^53")
        }
        return value
    }
}

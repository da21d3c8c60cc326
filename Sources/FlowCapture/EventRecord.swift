import FlowEvents
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The payload of a packet on a capture's event interface: one line of JSON that is the event's
/// one schema (``FlowEvents/SessionEvent``'s `Codable` form, the same as `--json` prints, with
/// the bytes of edited and dropped chunks included) plus `"v"` (the record format, 2) and, on
/// `open` and `bind`, `"tcp"` (`{"client":"127.0.0.1:5","server":…}`: the endpoints of the
/// synthesized TCP conversation). A `bind` record carries no event: it names the TCP endpoints
/// of a session whose `open` is not in the capture.
///
/// Texts longer than 32 KiB (UTF-8) and addresses longer than 4 KiB are cut and end in "…", and
/// the bytes of an edited or dropped chunk are kept only up to 96 KiB (the digest always), so
/// that an event packet stays under Wireshark's 256 KiB packet limit. Records of version 1
/// (flowtap before the one event model) are still read, through ``LegacyEventPayload``.
struct EventRecord {
    static let version = 2
    /// The longest error or note text kept, in UTF-8 bytes.
    static let maxText = 32 * 1024
    /// The longest host or socket path kept.
    static let maxAddress = 4 * 1024
    /// The most bytes of an edited or dropped chunk kept as hex.
    static let maxKeptBytes = 96 * 1024

    /// The event, or `nil` for a `bind` record.
    var event: SessionEvent?
    /// The session, for a `bind` record (an event carries its own).
    var conn: Int
    /// The synthesized TCP conversation's endpoints, on `open` and `bind`.
    var tcp: (client: WireEndpoint, server: WireEndpoint)?
    /// A `close` of a version 1 record: its statistics are to be rebuilt from the data.
    var rebuildStats = false

    /// The JSON of the record (no newline).
    func encoded(time: UInt64) -> [UInt8] {
        var encoder = JSONLineEncoder()
        encoder.userInfo[SessionEvent.includeBytes] = true
        let body = Body(record: self, time: time)
        // Strings, integers and six-decimal seconds: encoding cannot fail.
        return Array(try! encoder.encode(body).utf8)
    }

    private struct Body: Encodable {
        var record: EventRecord
        var time: UInt64

        enum Key: String, CodingKey { case v, t, event, conn, tcp }
        enum Endpoints: String, CodingKey { case client, server }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(EventRecord.version, forKey: .v)
            if let event = record.event {
                try event.encode(to: encoder)
            } else {
                try c.encode(Seconds(nanoseconds: time), forKey: .t)
                try c.encode("bind", forKey: .event)
                try c.encode(record.conn, forKey: .conn)
            }
            if let tcp = record.tcp {
                // A keyed container, not a dictionary: the order of the keys is part of the bytes
                // (the same events must give the same capture in every process).
                var endpoints = c.nestedContainer(keyedBy: Endpoints.self, forKey: .tcp)
                try endpoints.encode(tcp.client.description, forKey: .client)
                try endpoints.encode(tcp.server.description, forKey: .server)
            }
        }
    }

    private struct Head: Decodable {
        var v: Int
        var event: String
        var conn: Int?
        var tcp: Conversation?
    }

    private struct Conversation: Decodable {
        var client: String
        var server: String
    }

    /// Decodes a record of any supported version; `time` (the packet's timestamp, in
    /// nanoseconds) replaces the JSON's `t`, which has only microseconds.
    /// - Throws: ``PayloadError`` saying what is wrong: not JSON, an unsupported version, a
    ///   missing or invalid field.
    static func decode(_ bytes: ArraySlice<UInt8>, time: UInt64) throws(PayloadError) -> EventRecord {
        let data = Data(bytes)
        let head: Head
        do {
            head = try JSONDecoder().decode(Head.self, from: data)
        } catch {
            throw PayloadError(text: "not a flowtap event")
        }
        guard head.v >= 1, head.v <= version else {
            throw PayloadError(text: "unsupported event payload version \(head.v)")
        }
        var tcp: (client: WireEndpoint, server: WireEndpoint)?
        if let conversation = head.tcp {
            guard let c = WireEndpoint(parsing: conversation.client),
                let s = WireEndpoint(parsing: conversation.server)
            else { throw PayloadError(text: "event \(head.event) with invalid tcp endpoints") }
            tcp = (c, s)
        }
        if head.v == 1 {
            let record = try LegacyEventPayload.decode(data, time: time, tcp: tcp)
            guard (0...SessionEvent.maximumConn).contains(record.conn) else {
                throw PayloadError(text: "event \(head.event) with session \(record.conn) out of range")
            }
            return record
        }
        guard let conn = head.conn else {
            throw PayloadError(text: "event \(head.event) without conn")
        }
        guard (0...SessionEvent.maximumConn).contains(conn) else {
            throw PayloadError(text: "event \(head.event) with conn \(conn) out of range")
        }
        if head.event == "bind" { return EventRecord(event: nil, conn: conn, tcp: tcp) }
        do {
            var event = try JSONDecoder().decode(SessionEvent.self, from: data)
            event.time = time
            return EventRecord(event: event, conn: conn, tcp: tcp)
        } catch let error as DecodingError {
            throw PayloadError(text: "event \(head.event): \(Self.describe(error))")
        } catch {
            throw PayloadError(text: "event \(head.event): \(error)")
        }
    }

    /// A decoding error in words: which field, and what is wrong with it.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "without \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "invalid \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? context.debugDescription : "invalid \(path(context)): \(context.debugDescription)"
        @unknown default: return "invalid"
        }
    }

    /// Why a payload cannot be read.
    struct PayloadError: Error {
        var text: String
    }

    /// `event` cut to what a capture keeps (see the type's documentation).
    static func clipped(_ event: SessionEvent) -> SessionEvent {
        func text(_ s: String) -> String { clip(s, maxText) }
        func peer(_ a: PeerAddress) -> PeerAddress {
            switch a {
            case .ip(let host, let port): .ip(host: clip(host, maxAddress), port: port)
            case .unix(let path): .unix(path: clip(path, maxAddress))
            }
        }
        func kept(_ bytes: ByteBuffer?) -> ByteBuffer? {
            guard let bytes, bytes.readableBytes <= maxKeptBytes else { return nil }
            return bytes
        }
        var out = event
        out.targetName = event.targetName.map(text)
        out.clientAddress = event.clientAddress.map(peer)
        switch event.kind {
        case .open(let c, let t): out.kind = .open(client: peer(c), target: peer(t))
        case .connectError(let c, let t, let e):
            out.kind = .connectError(client: peer(c), target: peer(t), error: text(e))
        case .handshakeError(let c, let e): out.kind = .handshakeError(client: peer(c), error: text(e))
        case .readError(let d, let e): out.kind = .readError(d, text(e))
        case .writeError(let d, let e): out.kind = .writeError(d, text(e))
        case .fault(let d, let f): out.kind = .fault(d, text(f))
        case .note(let t): out.kind = .note(text(t))
        case .captureError(let e): out.kind = .captureError(text(e))
        case .controlError(let e, let line): out.kind = .controlError(text(e), line: line)
        case .decoder(let proto): out.kind = .decoder(text(proto))
        case .message(let d, var m):
            m.proto = text(m.proto)
            m.summary = text(m.summary)
            out.kind = .message(d, m)
        case .decodeError(let d, let proto, let offset, let e):
            out.kind = .decodeError(d, proto: text(proto), offset: offset, error: text(e))
        case .tls(var summary):
            summary.version = text(summary.version)
            summary.cipher = text(summary.cipher)
            summary.sni = summary.sni.map(text)
            summary.alpn = summary.alpn.map(text)
            summary.subject = summary.subject.map(text)
            summary.issuer = summary.issuer.map(text)
            out.kind = .tls(summary)
        case .tlsError(let side, let e): out.kind = .tlsError(side: side, error: text(e))
        case .edit(let d, let originalBytes, let digest, let bytes, let original):
            out.kind = .edit(
                d, originalBytes: originalBytes, originalSHA256: digest, bytes: bytes,
                original: kept(original))
        case .drop(let d, let bytes, let digest, let original):
            out.kind = .drop(d, bytes: bytes, sha256: digest, original: kept(original))
        default: break
        }
        return out
    }

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
}

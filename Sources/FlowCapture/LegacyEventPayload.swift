import FlowCore
import FlowEvents

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the event records of captures written before the one event model (record version 1):
/// `{"v":1,"session":3,"event":"write_error","dir":"c2s","error":"…"}` with `client`/`server` as
/// `{"ip":"::1","port":80}` or `{"unix":"/path"}`. Their notes (faults, edits, drops, injections,
/// rewrites were written as note text) come back as `note` events, as written; their `close`
/// kept no statistics, so the reader rebuilds them from the data (see ``EventRecord``).
struct LegacyEventPayload: Decodable {
    struct Address: Decodable {
        var ip: String?
        var port: Int?
        var unix: String?
    }

    var session: Int
    var event: String
    var dir: String?
    var error: String?
    var text: String?
    var client: Address?
    var server: Address?

    /// The record of a version 1 payload.
    static func decode(
        _ data: Data, time: UInt64, tcp: (client: WireEndpoint, server: WireEndpoint)?
    ) throws(EventRecord.PayloadError) -> EventRecord {
        let payload: LegacyEventPayload
        do {
            payload = try JSONDecoder().decode(LegacyEventPayload.self, from: data)
        } catch {
            throw EventRecord.PayloadError(text: "not a flowtap event")
        }
        let kind = try payload.kind()
        var record = EventRecord(
            event: kind.map { SessionEvent(conn: payload.session, $0, time: time) }, conn: payload.session,
            tcp: tcp)
        if case .close = kind { record.rebuildStats = true }
        return record
    }

    /// The event this payload describes; `nil` for `bind`, which has none.
    private func kind() throws(EventRecord.PayloadError) -> SessionEvent.Kind? {
        typealias Failure = EventRecord.PayloadError
        func direction() throws(Failure) -> Direction {
            guard let dir, let value = Direction(rawValue: dir) else {
                throw Failure(text: "event \(event) without a valid dir")
            }
            return value
        }
        func required(_ value: String?, _ name: String) throws(Failure) -> String {
            guard let value else { throw Failure(text: "event \(event) without \(name)") }
            return value
        }
        func address(_ value: Address?, _ name: String) throws(Failure) -> PeerAddress {
            if let value, let path = value.unix, value.ip == nil { return .unix(path: path) }
            if let value, let host = value.ip, let port = value.port, value.unix == nil,
                (0...65535).contains(port)
            {
                return .ip(host: host, port: port)
            }
            throw Failure(text: "event \(event) without a valid \(name)")
        }
        switch event {
        case "open":
            return .open(client: try address(client, "client"), target: try address(server, "server"))
        case "connect_error":
            return .connectError(
                client: client == nil ? .unix(path: "(unknown)") : try address(client, "client"),
                target: try address(server, "server"), error: try required(error, "error"))
        case "eof": return .eof(try direction())
        case "shutdown": return .shutdown(try direction())
        case "read_error": return .readError(try direction(), try required(error, "error"))
        case "write_error": return .writeError(try direction(), try required(error, "error"))
        case "pause": return .pause(try direction())
        case "resume": return .resume(try direction())
        case "step": return .step(try direction())
        case "note": return .note(try required(text, "text"))
        case "close": return .close(c2s: Stats(), s2c: Stats())
        case "bind": return nil
        default: throw Failure(text: "unknown event \"\(event)\"")
        }
    }
}

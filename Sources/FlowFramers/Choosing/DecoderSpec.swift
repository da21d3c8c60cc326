/// Which decoder a session uses: what `--decode` spells.
///
/// Grammar (case-insensitive names): `auto`, `none`, `http`, `resp`, `postgres`, `mqtt`,
/// `lines`, or `len:SPEC` with SPEC as ``LengthPrefix`` reads it (`len:u32be`,
/// `len:u16be@2+4`). ``description`` spells a spec back in the same grammar, so
/// `DecoderSpec(parsing: spec.description) == spec`.
public enum DecoderSpec: Sendable, Hashable, CustomStringConvertible {
    /// Decide from the first bytes of the session, in either direction, with the target's port
    /// as a hint (``ProtocolDetector``); falls back to ``none``.
    case auto
    /// No decoding: the bytes are counted, no message is reported.
    case none
    /// HTTP/1.0 and 1.1 (``HTTPFramer``).
    case http
    /// Redis RESP2 and RESP3 (``RESPFramer``).
    case resp
    /// PostgreSQL frontend/backend protocol v3 (``PostgresFramer``).
    case postgres
    /// MQTT 3.1, 3.1.1 and 5 (``MQTTFramer``).
    case mqtt
    /// One message per line, ending in `\n` (so `\r\n` too) (``LinesFramer``).
    case lines
    /// One message per length-prefixed record (``LengthFramer``).
    case length(LengthPrefix)

    /// The names `--decode` accepts besides `len:SPEC`, in the order a usage text lists them.
    public static let names = ["auto", "none", "http", "resp", "postgres", "mqtt", "lines"]

    /// The spec `text` spells.
    /// - Throws: ``DecoderSpecError`` naming what is wrong: an unknown name (with the list of
    ///   names), or a bad `len:` SPEC (see ``LengthPrefix/init(parsing:)``).
    public init(parsing text: String) throws(DecoderSpecError) {
        let lowered = text.lowercased()
        if lowered == "len" || lowered.hasPrefix("len:") {
            guard lowered.count > 4 else {
                throw DecoderSpecError(
                    text: text, reason: "len needs a SPEC, e.g. len:u32be or len:u16be@2+4")
            }
            self = .length(try LengthPrefix(parsing: String(lowered.dropFirst(4))))
            return
        }
        switch lowered {
        case "auto": self = .auto
        case "none": self = .none
        case "http": self = .http
        case "resp": self = .resp
        case "postgres": self = .postgres
        case "mqtt": self = .mqtt
        case "lines": self = .lines
        case "":
            throw DecoderSpecError(text: text, reason: "empty decoder name; expected \(Self.expected)")
        default:
            throw DecoderSpecError(
                text: text,
                reason: "unknown decoder \"\(SummaryText.escape(text))\"; expected \(Self.expected)")
        }
    }

    private static let expected = "auto, none, http, resp, postgres, mqtt, lines or len:SPEC"

    /// The spec as `--decode` spells it: `http`, `len:u16be@2+4`.
    public var description: String {
        switch self {
        case .length(let prefix): "len:\(prefix)"
        default: protocolName
        }
    }

    /// The decoder's name for events (`proto`): as `--decode` spells it, `len` for `len:SPEC`.
    public var protocolName: String {
        switch self {
        case .auto: "auto"
        case .none: "none"
        case .http: "http"
        case .resp: "resp"
        case .postgres: "postgres"
        case .mqtt: "mqtt"
        case .lines: "lines"
        case .length: "len"
        }
    }
}

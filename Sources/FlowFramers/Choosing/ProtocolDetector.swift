/// The `auto` decision: which decoder fits a session, from its first non-empty piece of bytes
/// (in whichever direction came first) and the target's port.
///
/// It never waits for more bytes: a piece too short to be sure is judged by what it has.
/// Rules, in order:
/// 1. A piece that is clearly one protocol picks it: an HTTP/1 request line start (a known
///    method and a space, or a token, a space and `HTTP/1.` later on the line) or a status line
///    (`HTTP/1.`); a RESP command (`*` digits `\r\n$`); a PostgreSQL untyped first message
///    (length 8…10000 and a 3.x version, SSLRequest, GSSENCRequest or CancelRequest code); an
///    MQTT CONNECT (`0x10`, a remaining length, then the name `MQTT` or `MQIsdp`); a server's
///    greeting line (`220 ` / `220-`, `+OK `, `* OK `) picks `lines`.
/// 2. Otherwise the port's protocol if the piece could be its start: 80, 8000, 8008, 8080,
///    8888, 3128 → http; 6379, 6380, 26379 → resp; 5432 → postgres; 1883 → mqtt; 21, 25, 110,
///    143, 587 → lines.
/// 3. Otherwise ``DecoderSpec/none``.
public enum ProtocolDetector {
    /// The well-known ports and the decoder each suggests.
    public static let portHints: [Int: DecoderSpec] = [
        80: .http, 8000: .http, 8008: .http, 8080: .http, 8888: .http, 3128: .http,
        6379: .resp, 6380: .resp, 26379: .resp,
        5432: .postgres,
        1883: .mqtt,
        21: .lines, 25: .lines, 110: .lines, 143: .lines, 587: .lines,
    ]

    private static let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ].map { Array($0.utf8) }

    /// How well a piece fits a protocol.
    private enum Fit: Comparable {
        case no
        /// It could be the start of one (too short to tell).
        case maybe
        case yes
    }

    /// The decoder for a session whose first non-empty piece is `bytes`, sent by `side`, to a
    /// target on `portHint` (nil when unknown or not a TCP port). Never ``DecoderSpec/auto``.
    public static func detect(_ bytes: UnsafeRawBufferPointer, from side: FrameSide, portHint: Int?)
        -> DecoderSpec
    {
        let piece = Array(bytes.prefix(256))
        let candidates: [(DecoderSpec, Fit)] = [
            (.http, http(piece, side)),
            (.resp, resp(piece, side)),
            (.postgres, postgres(piece, side)),
            (.mqtt, mqtt(piece, side)),
            (.lines, lines(piece, side)),
        ]
        let hinted = portHint.flatMap { portHints[$0] }
        let sure = candidates.filter { $0.1 == .yes }.map(\.0)
        if let hinted, sure.contains(hinted) { return hinted }
        if let first = sure.first { return first }
        if let hinted, candidates.contains(where: { $0.0 == hinted && $0.1 == .maybe }) { return hinted }
        return .none
    }

    /// ``detect(_:from:portHint:)`` for an array of bytes.
    public static func detect(_ bytes: [UInt8], from side: FrameSide, portHint: Int?) -> DecoderSpec {
        bytes.withUnsafeBytes { detect($0, from: side, portHint: portHint) }
    }

    private static func http(_ piece: [UInt8], _ side: FrameSide) -> Fit {
        let status = Array("HTTP/1.".utf8)
        if piece.starts(with: status) { return .yes }
        if status.starts(with: piece) { return .maybe }
        guard side == .client else { return .no }
        for method in methods {
            if piece.starts(with: method + [0x20]) { return .yes }
            if (method + [0x20]).starts(with: piece) { return .maybe }
        }
        // An extension method: a token, a space, a target, a space, HTTP/1.
        let line = piece.prefix(while: { $0 != 0x0d && $0 != 0x0a })
        if let space = line.firstIndex(of: 0x20), space > 0,
            line[..<space].allSatisfy({ (0x41...0x5a).contains($0) || $0 == UInt8(ascii: "-") }),
            line.count < piece.count || line.count == 256
        {
            let rest = Array(line[(space + 1)...])
            if let second = rest.firstIndex(of: 0x20), rest[(second + 1)...].starts(with: status) {
                return .yes
            }
        }
        return piece.first.map { (0x41...0x5a).contains($0) } == true ? .maybe : .no
    }

    private static func resp(_ piece: [UInt8], _ side: FrameSide) -> Fit {
        guard let first = piece.first else { return .no }
        if side == .client, first == UInt8(ascii: "*") {
            let digits = piece.dropFirst().prefix(while: { (0x30...0x39).contains($0) })
            let rest = piece.dropFirst(1 + digits.count)
            if !digits.isEmpty, rest.starts(with: "\r\n$".utf8) { return .yes }
            if "\r\n$".utf8.starts(with: rest) { return .maybe }
            return .no
        }
        // Inline commands and server replies look like text: only the port can say.
        return first >= 0x20 && first < 0x7f ? .maybe : .no
    }

    private static func postgres(_ piece: [UInt8], _ side: FrameSide) -> Fit {
        guard side == .client else {
            return piece.first == UInt8(ascii: "R") || piece.first == UInt8(ascii: "E") ? .maybe : .no
        }
        guard piece.count >= 8 else { return piece.first == 0 || piece.isEmpty ? .maybe : .no }
        let length = ByteParsing.bigEndian(piece[...], at: 0, count: 4) ?? 0
        let code = ByteParsing.bigEndian(piece[...], at: 4, count: 4) ?? 0
        switch code {
        case 80_877_103, 80_877_104: return length == 8 ? .yes : .no
        case 80_877_102: return length == 16 ? .yes : .no
        case (3 << 16)...((3 << 16) | 0xffff): return length >= 8 && length <= 10_000 ? .yes : .no
        default: return .no
        }
    }

    private static func mqtt(_ piece: [UInt8], _ side: FrameSide) -> Fit {
        guard side == .client, let first = piece.first else { return .no }
        guard first == 0x10 else { return .no }
        var i = 1
        while i < piece.count, i < 5, piece[i] & 0x80 != 0 { i += 1 }
        i += 1  // the last byte of the remaining length
        guard i < piece.count else { return .maybe }
        let rest = piece[i...]
        for name in ["\u{0}\u{4}MQTT", "\u{0}\u{6}MQIsdp"].map({ Array($0.utf8) }) {
            if rest.starts(with: name) { return .yes }
            if name.starts(with: rest) { return .maybe }
        }
        return .no
    }

    private static func lines(_ piece: [UInt8], _ side: FrameSide) -> Fit {
        guard side == .server else { return piece.allSatisfy(isText) ? .maybe : .no }
        let greetings = ["220 ", "220-", "+OK ", "* OK "].map { Array($0.utf8) }
        if greetings.contains(where: { piece.starts(with: $0) }), piece.allSatisfy(isText) { return .yes }
        return piece.allSatisfy(isText) ? .maybe : .no
    }

    private static func isText(_ byte: UInt8) -> Bool {
        (0x20..<0x7f).contains(byte) || byte == 0x0d || byte == 0x0a || byte == 0x09
    }
}

import FlowCore
import FlowEvents
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns ``SessionEvent``s into the headless output: JSON Lines (DESIGN.md §6), readable text,
/// and socat's `-v -x` hex dump layout.
public enum EventFormatter {
    /// The event as one JSON object (no newline), or `nil` for events not printed (`held`).
    ///
    /// The object is the event's one schema (``FlowEvents/SessionEvent``'s `Codable`
    /// conformance, the same the capture's event records use): `"t"` (seconds since the epoch),
    /// `"event"`, `"conn"` for session events, `"dir"` for direction events, then the kind's
    /// fields. With `hex`, data and drop events carry `"hex"`, edit events `"original_hex"`.
    public static func json(_ event: SessionEvent, hex: Bool = false) -> String? {
        if case .held = event.kind { return nil }
        var encoder = JSONLineEncoder()
        encoder.userInfo[SessionEvent.includeBytes] = hex
        // Strings, integers and six-decimal seconds: encoding an event cannot fail.
        return try! encoder.encode(event)
    }

    /// The event as readable text ending in a newline, or `nil` for events not printed. With
    /// `hexdump`, data events are socat `-v -x` blocks instead of one line.
    ///
    /// Everything in the line that came from outside (addresses, a peer's Unix path, errors,
    /// notes, fault texts, strings read from a capture) is escaped by
    /// ``FlowCore/TerminalText/escape(_:ascii:)``: the line is one line, and no control
    /// character reaches the terminal.
    public static func text(_ event: SessionEvent, hexdump: Bool = false) -> String? {
        let time = localTime(event.time)
        let who = event.conn.map { "#\($0) " } ?? ""
        let body: String
        switch event.kind {
        case .listening(let address): body = "listening on \(address)"
        case .open(let client, let target): body = "open \(client) -> \(target)"
        case .connectError(let client, let target, let error):
            body = "connect error: \(client) -> \(target): \(error)"
        case .data(let d, let offset, let bytes):
            if hexdump {
                return socatBlock(event.time, d, offset: offset, bytes: bytes, session: event.conn)
            }
            body = "\(d) data \(bytes.readableBytes) B at \(offset)"
        case .eof(let d): body = "\(d) EOF (source sent FIN)"
        case .shutdown(let d): body = "\(d) shut (FIN passed on)"
        case .readError(let d, let error): body = "\(d) read error: \(error)"
        case .writeError(let d, let error): body = "\(d) write error: \(error)"
        case .pause(let d): body = "\(d) paused"
        case .resume(let d): body = "\(d) resumed"
        case .step(let d): body = "\(d) step"
        case .fault(let d, let fault):
            body = fault.hasPrefix("-") ? "\(d) fault removed: \(fault.dropFirst())" : "\(d) fault: \(fault)"
        case .held: return nil
        case .edit(let d, let originalBytes, let digest, let bytes, _):
            body =
                "\(d) edit: a held chunk of \(originalBytes) B (sha256 \(digest.prefix(16))…) sent as \(bytes) B"
        case .drop(let d, let bytes, let digest, _):
            body = "\(d) drop: a held chunk of \(bytes) B (sha256 \(digest.prefix(16))…) was not sent"
        case .inject(let d, let bytes): body = "\(d) inject: \(bytes) B typed by the user"
        case .rewrite(let d, let count, let originalBytes, let bytes, _):
            body =
                "\(d) rewrite: \(count) substitution\(count == 1 ? "" : "s"), "
                + "\(originalBytes) B -> \(bytes) B"
        case .captureError(let error): body = "capture error: \(error)"
        case .gap(let d, let from, let to):
            body = "\(d) bytes \(ByteFormat.bytes(from))–\(ByteFormat.bytes(to)) not kept"
        case .note(let text): body = "note: \(text)"
        case .controlError(let error, let line): body = "control error: stdin line \(line): \(error)"
        case .acceptError(let error): body = "accept error: \(error) (backing off)"
        case .acceptPaused(let sessions, let limit):
            body = "accept paused: live sessions \(sessions), limit \(limit); new clients wait"
        case .acceptResumed(let sessions): body = "accept resumed: live sessions \(sessions)"
        case .close(let c2s, let s2c):
            body =
                "close c2s \(ByteFormat.bytes(c2s.readBytes))/\(c2s.readOps) reads, "
                + "s2c \(ByteFormat.bytes(s2c.readBytes))/\(s2c.readOps) reads, \(ByteFormat.duration(max(c2s.seconds, s2c.seconds)))"
        }
        return "\(time) \(who)\(TerminalText.escape(body))\n"
    }

    /// A socat `-v -x` block: `> 2026/11/25 14:28:20.000199  length=58 from=0 to=57`, rows of up to
    /// 16 bytes (a row also ends after 0x0a) as padded hex, two spaces, ASCII with `.` for
    /// non-printables, then `--`. `>` is client → server, `<` server → client. The session number
    /// follows the header as `conn=N`.
    public static func socatBlock(
        _ timestamp: UInt64, _ direction: Direction, offset: Int, bytes: ByteBuffer, session: Int?
    ) -> String {
        let count = bytes.readableBytes
        var out = direction == .c2s ? "> " : "< "
        out += localTime(timestamp, dateSeparator: "/")
        out += "  length=\(count) from=\(offset) to=\(offset + count - 1)"
        if let session { out += "  conn=\(session)" }
        out += "\n"
        var row: [UInt8] = []
        func flush() {
            guard !row.isEmpty else { return }
            var hex = ""
            for byte in row { hex += " " + hexByte(byte) }
            hex += String(repeating: " ", count: 48 - hex.count)
            var ascii = ""
            for byte in row {
                ascii.unicodeScalars.append(byte >= 0x20 && byte < 0x7f ? Unicode.Scalar(byte) : ".")
            }
            out += hex + "  " + ascii + "\n"
            row.removeAll(keepingCapacity: true)
        }
        for byte in bytes.readableBytesView {
            row.append(byte)
            if row.count == 16 || byte == 0x0a { flush() }
        }
        flush()
        return out + "--\n"
    }

    /// Local time `YYYY-MM-DD HH:MM:SS.ffffff` (with `/` between date parts for socat's layout).
    static func localTime(_ ns: UInt64, dateSeparator: String = "-") -> String {
        var t = time_t(ns / 1_000_000_000)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var micros = String((ns / 1000) % 1_000_000)
        while micros.count < 6 { micros = "0" + micros }
        let date = ["\(parts.tm_year + 1900)", two(parts.tm_mon + 1), two(parts.tm_mday)].joined(
            separator: dateSeparator)
        return "\(date) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(micros)"
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

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
            return dataLine(time: time, conn: event.conn, d, count: bytes.readableBytes, offset: offset)
        case .eof(let d): body = "\(d.rawValue) EOF (source sent FIN)"
        case .shutdown(let d): body = "\(d.rawValue) shut (FIN passed on)"
        case .readError(let d, let error): body = "\(d.rawValue) read error: \(error)"
        case .writeError(let d, let error): body = "\(d.rawValue) write error: \(error)"
        case .pause(let d): body = "\(d.rawValue) paused"
        case .resume(let d): body = "\(d.rawValue) resumed"
        case .step(let d): body = "\(d.rawValue) step"
        case .fault(let d, let fault):
            body =
                fault.hasPrefix("-")
                ? "\(d.rawValue) fault removed: \(fault.dropFirst())" : "\(d.rawValue) fault: \(fault)"
        case .held: return nil
        case .edit(let d, let originalBytes, let digest, let bytes, _):
            body =
                "\(d.rawValue) edit: a held chunk of \(originalBytes) B (sha256 \(digest.prefix(16))…) sent as \(bytes) B"
        case .drop(let d, let bytes, let digest, _):
            body =
                "\(d.rawValue) drop: a held chunk of \(bytes) B (sha256 \(digest.prefix(16))…) was not sent"
        case .inject(let d, let bytes): body = "\(d.rawValue) inject: \(bytes) B typed by the user"
        case .rewrite(let d, let count, let originalBytes, let bytes, _):
            body =
                "\(d.rawValue) rewrite: \(count) substitution\(count == 1 ? "" : "s"), "
                + "\(originalBytes) B -> \(bytes) B"
        case .captureError(let error): body = "capture error: \(error)"
        case .gap(let d, let from, let to):
            body = "\(d.rawValue) bytes \(ByteFormat.bytes(from))–\(ByteFormat.bytes(to)) not kept"
        case .note(let text): body = "note: \(text)"
        case .controlError(let error, let line): body = "control error: stdin line \(line): \(error)"
        case .decoder(let proto): body = "decoded as \(proto)"
        case .message(let d, let m):
            var text = "\(d.rawValue) \(m.proto) #\(m.index) \(m.summary) (\(m.bytes) B"
            if let request = m.request { text += ", reply to #\(request)" }
            if let latency = m.latency { text += ", \(Milliseconds(nanoseconds: latency).jsonText) ms" }
            if m.truncated { text += ", cut short" }
            body = text + ")"
        case .decodeError(let d, let proto, let offset, let error):
            body = "\(d.rawValue) \(proto) decode error at byte \(offset): \(error) (the rest passes raw)"
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

    /// The text line of a data event, `TIME #N c2s data COUNT B at OFFSET` and a newline, `time`
    /// being the event's ``localTime(_:dateSeparator:)``: the line printed for every chunk, so it
    /// is written byte by byte into one string rather than by interpolation (a third of the log
    /// thread's instructions went to `String.append`). Nothing in it comes from outside: it needs
    /// no escaping.
    static func dataLine(time: String, conn: Int?, _ direction: Direction, count: Int, offset: Int) -> String
    {
        var time = time
        var name = direction.rawValue
        return time.withUTF8 { stamp in
            name.withUTF8 { name in
                // Each number takes at most 20 bytes (Int.min), the fixed text 17.
                String(unsafeUninitializedCapacity: stamp.count + name.count + 3 * 20 + 17) { out in
                    let start = out.baseAddress!
                    var cursor = put(stamp, at: start)
                    cursor = put(" ", at: cursor)
                    if let conn {
                        cursor = put("#", at: cursor)
                        cursor = put(decimal: conn, at: cursor)
                        cursor = put(" ", at: cursor)
                    }
                    cursor = put(name, at: cursor)
                    cursor = put(" data ", at: cursor)
                    cursor = put(decimal: count, at: cursor)
                    cursor = put(" B at ", at: cursor)
                    cursor = put(decimal: offset, at: cursor)
                    cursor = put("\n", at: cursor)
                    return cursor - start
                }
            }
        }
    }

    /// Copies `bytes` to `cursor` (which has room for them); returns the position after them.
    private static func put(
        _ bytes: UnsafeBufferPointer<UInt8>, at cursor: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        guard let base = bytes.baseAddress else { return cursor }
        cursor.initialize(from: base, count: bytes.count)
        return cursor + bytes.count
    }

    /// ``put(_:at:)`` of a literal.
    private static func put(_ text: StaticString, at cursor: UnsafeMutablePointer<UInt8>)
        -> UnsafeMutablePointer<UInt8>
    {
        text.withUTF8Buffer { put($0, at: cursor) }
    }

    /// Writes `value` in decimal, as `String(value)` spells it (at most 20 bytes), to `cursor`;
    /// returns the position after it.
    private static func put(decimal value: Int, at cursor: UnsafeMutablePointer<UInt8>)
        -> UnsafeMutablePointer<UInt8>
    {
        var cursor = cursor
        if value < 0 { cursor = put("-", at: cursor) }
        let rest = value.magnitude
        var divisor: UInt = 1
        while rest / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            cursor.initialize(to: UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            cursor += 1
            divisor /= 10
        }
        return cursor
    }

    /// Local time `YYYY-MM-DD HH:MM:SS.ffffff` (with `/` between date parts for socat's layout).
    ///
    /// Written digit by digit into one string (no interpolation, no `joined`): the headless log
    /// formats one for every event it prints.
    static func localTime(_ ns: UInt64, dateSeparator: String = "-") -> String {
        var t = time_t(ns / 1_000_000_000)
        var parts = tm()
        localtime_r(&t, &parts)
        let separator = dateSeparator.utf8.first ?? UInt8(ascii: "-")
        let micros = Int((ns / 1000) % 1_000_000)
        let year = Int(parts.tm_year) + 1900
        // A year outside 0...9999 does not fit the fixed layout: the slow path keeps it exact.
        guard (0...9999).contains(year), dateSeparator.utf8.count == 1 else {
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            var digits = String(micros)
            while digits.count < 6 { digits = "0" + digits }
            let date = ["\(year)", two(parts.tm_mon + 1), two(parts.tm_mday)].joined(
                separator: dateSeparator)
            return "\(date) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(digits)"
        }
        return String(unsafeUninitializedCapacity: 26) { out in
            var index = 0
            func put(_ value: Int, digits: Int) {
                var divisor = 1
                for _ in 1..<digits { divisor *= 10 }
                while divisor > 0 {
                    out[index] = UInt8(ascii: "0") + UInt8((value / divisor) % 10)
                    index += 1
                    divisor /= 10
                }
            }
            func put(_ byte: UInt8) {
                out[index] = byte
                index += 1
            }
            put(year, digits: 4)
            put(separator)
            put(Int(parts.tm_mon) + 1, digits: 2)
            put(separator)
            put(Int(parts.tm_mday), digits: 2)
            put(UInt8(ascii: " "))
            put(Int(parts.tm_hour), digits: 2)
            put(UInt8(ascii: ":"))
            put(Int(parts.tm_min), digits: 2)
            put(UInt8(ascii: ":"))
            put(Int(parts.tm_sec), digits: 2)
            put(UInt8(ascii: "."))
            put(micros, digits: 6)
            return index
        }
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

import FlowCore
import FlowEvents
import NIOCore
import Synchronization

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
    /// fields. With ``PayloadForms/hex`` in `payload`, data and drop events carry `"hex"`, edit
    /// events `"original_hex"`; with ``PayloadForms/text``, `"text"` and `"original_text"`.
    public static func json(_ event: SessionEvent, payload: PayloadForms = []) -> String? {
        if case .held = event.kind { return nil }
        var encoder = JSONLineEncoder()
        encoder.userInfo[SessionEvent.includeBytes] = payload.contains(.hex)
        encoder.userInfo[SessionEvent.includeText] = payload.contains(.text)
        // Strings, integers and six-decimal seconds: encoding an event cannot fail.
        return try! encoder.encode(event)
    }

    /// The event as readable text ending in a newline, or `nil` for events not printed. With a
    /// `payload`, data events are blocks showing their bytes instead of one line
    /// (``payloadBlock(_:_:offset:bytes:session:payload:)``).
    ///
    /// Everything in the line that came from outside (addresses, a peer's Unix path, errors,
    /// notes, fault texts, strings read from a capture) is escaped by
    /// ``FlowCore/TerminalText/escape(_:ascii:)``: the line is one line, and no control
    /// character reaches the terminal.
    public static func text(_ event: SessionEvent, payload: PayloadForms = []) -> String? {
        let time = localTime(event.time)
        let who = event.conn.map { "#\($0) " } ?? ""
        let body: String
        switch event.kind {
        case .listening(let address): body = "listening on \(address)"
        case .open(let client, let target):
            body = "open \(client) -> \(target)\(event.targetName.map { " (\($0))" } ?? "")"
        case .connectError(let client, let target, let error):
            body =
                "connect error: \(client) -> \(target)\(event.targetName.map { " (\($0))" } ?? ""): \(error)"
        case .handshakeError(let client, let error):
            body = "handshake error: \(client): \(error)"
        case .data(let d, let offset, let bytes):
            if !payload.isEmpty {
                return payloadBlock(
                    event.time, d, offset: offset, bytes: bytes, session: event.conn, payload: payload)
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
        case .breakpoints(let list):
            body = "breakpoints: " + (list.isEmpty ? "none" : list.joined(separator: ", "))
        case .message(let d, let m):
            var text = "\(d.rawValue) \(m.proto) #\(m.index) \(m.summary) (\(m.bytes) B"
            if let request = m.request { text += ", reply to #\(request)" }
            if let latency = m.latency { text += ", \(Milliseconds(nanoseconds: latency).jsonText) ms" }
            if m.truncated { text += ", cut short" }
            body = text + ")"
        case .decodeError(let d, let proto, let offset, let error):
            body = "\(d.rawValue) \(proto) decode error at byte \(offset): \(error) (the rest passes raw)"
        case .tls(let summary): body = TLSSummaryText.line(summary)
        case .tlsError(let side, let error): body = "TLS error, \(side.rawValue) side: \(error)"
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

    /// ``text(_:payload:)`` appended to `out` as UTF-8 (nothing for events not printed): the
    /// same bytes, but the two lines printed for every chunk and message (`data` without a
    /// `payload`, and `message`) are written byte by byte into `out`, without building Strings
    /// (with one Redis client, string building was most of the log thread's instructions).
    /// A `message` line whose body is not all printable ASCII is escaped exactly as ``text(_:payload:)``
    /// does (``FlowCore/TerminalText/escape(_:ascii:)``).
    static func appendText(_ event: SessionEvent, payload: PayloadForms = [], to out: inout [UInt8]) {
        switch event.kind {
        case .data(let direction, let offset, let bytes) where payload.isEmpty:
            scratch(&out) { cursor in
                var cursor = putPrefix(event, at: cursor)
                cursor = put(direction, at: cursor)
                cursor = put(" data ", at: cursor)
                cursor = put(decimal: bytes.readableBytes, at: cursor)
                cursor = put(" B at ", at: cursor)
                cursor = put(decimal: offset, at: cursor)
                return put("\n", at: cursor)
            }
        case .message(let direction, let message):
            scratch(&out) { putPrefix(event, at: $0) }
            let bodyStart = out.count
            scratch(&out) { put(" ", at: put(direction, at: $0)) }
            out.append(contentsOf: message.proto.utf8)
            scratch(&out) { cursor in
                let cursor = put(decimal: message.index, at: put(" #", at: cursor))
                return put(" ", at: cursor)
            }
            out.append(contentsOf: message.summary.utf8)
            scratch(&out) { cursor in
                var cursor = put(" (", at: cursor)
                cursor = put(decimal: message.bytes, at: cursor)
                cursor = put(" B", at: cursor)
                if let request = message.request {
                    cursor = put(", reply to #", at: cursor)
                    cursor = put(decimal: request, at: cursor)
                }
                if let latency = message.latency {
                    // Milliseconds' JSON text: whole milliseconds, a point, three digits.
                    cursor = put(", ", at: cursor)
                    cursor = put(decimal: Int(latency / 1_000_000), at: cursor)
                    cursor = put(UInt8(ascii: "."), at: cursor)
                    cursor = put(Int((latency / 1000) % 1000), digits: 3, at: cursor)
                    cursor = put(" ms", at: cursor)
                }
                if message.truncated { cursor = put(", cut short", at: cursor) }
                return put(")", at: cursor)
            }
            let printable = out.withUnsafeBufferPointer { buffer in
                // A loop over the buffer: `allSatisfy` on the array's slice cost a tenth of the
                // log thread's instructions with one Redis client.
                var index = bodyStart
                while index < buffer.count, buffer[index] >= 0x20, buffer[index] < 0x7f { index += 1 }
                return index == buffer.count
            }
            if !printable {
                // Rare (a summary with control or non-ASCII characters): the one escaping rule.
                let body = String(decoding: out[bodyStart...], as: UTF8.self)
                out.removeSubrange(bodyStart...)
                out.append(contentsOf: TerminalText.escape(body).utf8)
            }
            out.append(UInt8(ascii: "\n"))
        default:
            if let line = text(event, payload: payload) { out.append(contentsOf: line.utf8) }
        }
    }

    /// Lets `body` write at most 192 bytes into a scratch buffer on the stack (it returns the
    /// position after what it wrote), and appends them to `out` with one copy.
    private static func scratch(
        _ out: inout [UInt8], _ body: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 192) { buffer in
            let start = buffer.baseAddress!
            let end = body(start)
            out.append(contentsOf: UnsafeBufferPointer(start: start, count: end - start))
        }
    }

    /// The direction's name (`c2s`, `s2c`) at `cursor`.
    private static func put(_ direction: Direction, at cursor: UnsafeMutablePointer<UInt8>)
        -> UnsafeMutablePointer<UInt8>
    {
        switch direction {
        case .c2s: put("c2s", at: cursor)
        case .s2c: put("s2c", at: cursor)
        }
    }

    /// `TIME ` and, for a session's event, `#N `: what precedes the body of a text line (at most
    /// 64 bytes).
    private static func putPrefix(_ event: SessionEvent, at cursor: UnsafeMutablePointer<UInt8>)
        -> UnsafeMutablePointer<UInt8>
    {
        var cursor = putLocalTime(event.time, at: cursor)
        cursor = put(UInt8(ascii: " "), at: cursor)
        if let conn = event.conn {
            cursor = put("#", at: cursor)
            cursor = put(decimal: conn, at: cursor)
            cursor = put(" ", at: cursor)
        }
        return cursor
    }

    /// ``localTime(_:dateSeparator:)`` (with `-`) at `cursor`: the text up to the seconds' point
    /// is kept for the last second (``lastStamp``), so a line writes six digits of its own.
    private static func putLocalTime(_ ns: UInt64, at cursor: UnsafeMutablePointer<UInt8>)
        -> UnsafeMutablePointer<UInt8>
    {
        let second = ns / 1_000_000_000
        let stamp: [UInt8]
        if let (last, text) = lastStamp.withLock({ $0 }), last == second {
            stamp = text
        } else {
            let fields = localFields(second)
            guard (0...9999).contains(fields.year) else {
                var text = localTime(ns)
                return text.withUTF8 { put($0, at: cursor) }
            }
            stamp = [UInt8](unsafeUninitializedCapacity: 20) { buffer, count in
                let start = buffer.baseAddress!
                count = putSecond(fields, dateSeparator: UInt8(ascii: "-"), at: start) - start
            }
            lastStamp.withLock { $0 = (second, stamp) }
        }
        let after = stamp.withUnsafeBufferPointer { put($0, at: cursor) }
        return put(Int((ns / 1000) % 1_000_000), digits: 6, at: after)
    }

    /// `YYYY-MM-DD HH:MM:SS.` of the last second a text line was built for.
    private static let lastStamp = Mutex<(UInt64, [UInt8])?>(nil)

    /// A chunk's block in socat's layout: the header `> 2026/11/25 14:28:20.000199  length=58
    /// from=0 to=57` (`>` is client → server, `<` server → client; the session number follows as
    /// `conn=N`), then
    /// - with ``PayloadForms/hex`` (`-x`), socat `-v -x` rows: up to 16 bytes a row (a row also
    ///   ends after 0x0a) as padded hex, two spaces, ASCII with `.` for non-printables;
    /// - with ``PayloadForms/text`` (`-v`), the bytes in ``FlowCore/ByteEscapes`` notation, a real
    ///   line break after each `\n` escape and at the end: printable ASCII only, and the bytes
    ///   come back exactly by removing the line breaks and decoding the escapes;
    ///
    /// and `--` when hex rows were written (socat ends its `-x` blocks so).
    public static func payloadBlock(
        _ timestamp: UInt64, _ direction: Direction, offset: Int, bytes: ByteBuffer, session: Int?,
        payload: PayloadForms = .hex
    ) -> String {
        let count = bytes.readableBytes
        var out = direction == .c2s ? "> " : "< "
        out += localTime(timestamp, dateSeparator: "/")
        out += "  length=\(count) from=\(offset) to=\(offset + count - 1)"
        if let session { out += "  conn=\(session)" }
        out += "\n"
        if payload.contains(.hex) {
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
        }
        if payload.contains(.text) {
            var text: [UInt8] = []
            text.reserveCapacity(count + count / 8 + 1)
            for byte in bytes.readableBytesView {
                ByteEscapes.append(byte, to: &text)
                if byte == 0x0a { text.append(0x0a) }
            }
            if text.last != 0x0a { text.append(0x0a) }
            out += String(decoding: text, as: UTF8.self)
        }
        return payload.contains(.hex) ? out + "--\n" : out
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
        var count = 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        rest = value.magnitude
        var index = count - 1
        while index >= 0 {
            (cursor + index).initialize(to: UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
            index -= 1
        }
        return cursor + count
    }

    /// Local time `YYYY-MM-DD HH:MM:SS.ffffff` (with `/` between date parts for socat's layout).
    ///
    /// Written digit by digit into one string (no interpolation, no `joined`): the headless log
    /// formats one for every event it prints. The broken-down time of the last second is kept
    /// (``localFields(_:)``), so `localtime_r` runs once a second, not once an event.
    static func localTime(_ ns: UInt64, dateSeparator: String = "-") -> String {
        let fields = localFields(ns / 1_000_000_000)
        let separator = dateSeparator.utf8.first ?? UInt8(ascii: "-")
        let micros = Int((ns / 1000) % 1_000_000)
        // A year outside 0...9999 does not fit the fixed layout: the slow path keeps it exact.
        guard (0...9999).contains(fields.year), dateSeparator.utf8.count == 1 else {
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            var digits = String(micros)
            while digits.count < 6 { digits = "0" + digits }
            let date = ["\(fields.year)", two(fields.month), two(fields.day)].joined(separator: dateSeparator)
            return "\(date) \(two(fields.hour)):\(two(fields.minute)):\(two(fields.second)).\(digits)"
        }
        return String(unsafeUninitializedCapacity: 26) { out in
            let start = out.baseAddress!
            let cursor = put(micros, digits: 6, at: putSecond(fields, dateSeparator: separator, at: start))
            return cursor - start
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.` (20 bytes; `dateSeparator` between the date's parts) at `cursor`;
    /// the year must be in 0...9999.
    private static func putSecond(
        _ fields: LocalFields, dateSeparator: UInt8, at cursor: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        var cursor = put(fields.year, digits: 4, at: cursor)
        cursor = put(dateSeparator, at: cursor)
        cursor = put(fields.month, digits: 2, at: cursor)
        cursor = put(dateSeparator, at: cursor)
        cursor = put(fields.day, digits: 2, at: cursor)
        cursor = put(UInt8(ascii: " "), at: cursor)
        cursor = put(fields.hour, digits: 2, at: cursor)
        cursor = put(UInt8(ascii: ":"), at: cursor)
        cursor = put(fields.minute, digits: 2, at: cursor)
        cursor = put(UInt8(ascii: ":"), at: cursor)
        cursor = put(fields.second, digits: 2, at: cursor)
        return put(UInt8(ascii: "."), at: cursor)
    }

    /// A second of local time, broken down (`localtime_r`'s fields, month and year as written).
    struct LocalFields: Sendable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
    }

    /// The last second broken down, and its fields: events come many a second.
    private static let lastSecond = Mutex<(second: UInt64, fields: LocalFields)?>(nil)

    /// The local time of `second` (since the epoch), broken down; `localtime_r` only when the
    /// second differs from the last one asked for.
    static func localFields(_ second: UInt64) -> LocalFields {
        if let last = lastSecond.withLock({ $0 }), last.second == second { return last.fields }
        var t = time_t(second)
        var parts = tm()
        localtime_r(&t, &parts)
        let fields = LocalFields(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
        lastSecond.withLock { $0 = (second, fields) }
        return fields
    }

    /// Writes `byte` to `cursor`; returns the position after it.
    private static func put(_ byte: UInt8, at cursor: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<
        UInt8
    > {
        cursor.initialize(to: byte)
        return cursor + 1
    }

    /// Writes the last `digits` decimal digits of `value` (not negative), zero-padded, to
    /// `cursor`; returns the position after them.
    private static func put(
        _ value: Int, digits: Int, at cursor: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        var rest = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            (cursor + index).initialize(to: UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        return cursor + digits
    }

    /// Two lowercase hex digits (``FlowCore/TerminalText/hex(_:)``).
    static func hexByte(_ byte: UInt8) -> String { TerminalText.hex(byte) }
}

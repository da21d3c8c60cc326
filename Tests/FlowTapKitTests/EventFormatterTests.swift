import FlowEvents
import FlowTapKit
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("The headless text log's lines")
struct EventFormatterTests {
    /// `YYYY-MM-DD HH:MM:SS` of `seconds` in local time, by the C library's own `strftime`.
    static func strftimeLocal(_ seconds: Int, format: String = "%Y-%m-%d %H:%M:%S") -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        var out = [CChar](repeating: 0, count: 64)
        let count = strftime(&out, out.count, format, &parts)
        return String(decoding: out[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(
        "a line starts with the local time to the microsecond, then the session and the event",
        arguments: [
            (UInt64(0), "000000"), (UInt64(1_795_617_012_234_301_999), "234301"),
            (UInt64(1_700_000_000_000_001_000), "000001"), (UInt64(4_102_444_799_999_999_000), "999999"),
        ])
    func lines(time: UInt64, micros: String) {
        let seconds = Int(time / 1_000_000_000)
        let stamp = "\(Self.strftimeLocal(seconds)).\(micros)"
        let data = SessionEvent(
            conn: 3, .data(.s2c, offset: 14, bytes: ByteBuffer(string: "+PONG\r\n")), time: time)
        #expect(EventFormatter.text(data) == "\(stamp) #3 s2c data 7 B at 14\n")
        #expect(
            EventFormatter.text(SessionEvent(conn: 1, .eof(.c2s), time: time))
                == "\(stamp) #1 c2s EOF (source sent FIN)\n")
        #expect(
            EventFormatter.text(SessionEvent(conn: nil, .listening(address: "127.0.0.1:1"), time: time))
                == "\(stamp) listening on 127.0.0.1:1\n")
        let block = EventFormatter.payloadBlock(
            time, .c2s, offset: 0, bytes: ByteBuffer(string: "a"), session: 2)
        let slashed = "\(Self.strftimeLocal(seconds, format: "%Y/%m/%d %H:%M:%S")).\(micros)"
        #expect(block.hasPrefix("> \(slashed)  length=1 from=0 to=0  conn=2\n"))
    }
}

@Suite("The headless text log's batches")
struct EventLogBatchTests {
    /// What `EventLog.consume` writes for `events` to a temporary file.
    static func consumed(_ events: [SessionEvent], payload: PayloadForms) throws -> String {
        var template = Array("/tmp/flowtap-eventlog-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer {
            close(fd)
            unlink(path)
        }
        EventLog(format: .text, payload: payload, fd: fd).consume(events[...])
        let size = lseek(fd, 0, SEEK_END)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        try #require(read == Int(size))
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(
        "a batch is printed exactly as the events' text lines, escapes included",
        arguments: [PayloadForms(), .hex, .text, .both])
    func batchMatchesLines(payload: PayloadForms) throws {
        let time: UInt64 = 1_795_617_012_234_301_999
        let events = [
            SessionEvent(conn: nil, .listening(address: "127.0.0.1:1"), time: time),
            SessionEvent(
                conn: 3, .data(.s2c, offset: 14, bytes: ByteBuffer(string: "+PONG\r\n")), time: time),
            SessionEvent(conn: 12, .data(.c2s, offset: 1 << 40, bytes: ByteBuffer()), time: time + 7_000),
            SessionEvent(
                conn: 3,
                .message(
                    .c2s,
                    DecodedMessage(proto: "resp", index: 0, offset: 0, bytes: 27, summary: "SET k v")),
                time: time),
            SessionEvent(
                conn: 3,
                .message(
                    .s2c,
                    DecodedMessage(
                        proto: "resp", index: 9, offset: 5, bytes: 5, summary: "+OK", request: 8,
                        latency: 40_123_999, truncated: true)),
                time: time),
            SessionEvent(
                conn: 4,
                .message(
                    .s2c,
                    DecodedMessage(
                        proto: "http", index: 1, offset: 0, bytes: 3, summary: "\u{1b}[31m é \u{202e}\t",
                        request: 0, latency: 999)),
                time: 1_000_000_000),
            SessionEvent(conn: 1, .eof(.c2s), time: time),
        ]
        let expected = events.compactMap { EventFormatter.text($0, payload: payload) }.joined()
        #expect(expected.contains("0.000 ms") && expected.contains("\\x1b[31m"))
        #expect(try Self.consumed(events, payload: payload) == expected)
    }
}

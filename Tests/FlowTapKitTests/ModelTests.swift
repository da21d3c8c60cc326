import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import NIOCore
import Testing

@Suite("History, InspectorModel and the event formats")
struct ModelTests {
    @Test("history keeps its head and its tail within the limit, cuts the middle and says which bytes")
    func historyBound() {
        var history = History(limit: 10)
        for i in 0..<5 {
            history.append(
                HistoryChunk(
                    offset: i * 4, timestamp: UInt64(i), bytes: ByteBuffer(repeating: UInt8(i), count: 4)))
        }
        // The head (half the limit) has the first chunk; the tail the newest; 4..<16 was cut.
        #expect(history.kept.map(\.offset) == [0, 16])
        #expect(history.keptBytes == 8 && history.droppedBytes == 12)
        #expect(history.cut == 4..<16)
        history.append(HistoryChunk(offset: 20, timestamp: 9, bytes: ByteBuffer(repeating: 9, count: 50)))
        #expect(history.kept.map(\.offset) == [0, 20], "the newest chunk is kept, however large")
        #expect(history.cut == 4..<20)
        for i in 0..<100_000 {
            history.append(
                HistoryChunk(offset: 70 + i, timestamp: 0, bytes: ByteBuffer(repeating: 1, count: 1)))
        }
        #expect(history.keptBytes == 10 && history.kept.count == 7)
        #expect(history.cut == 4..<(70 + 100_000 - 6))
    }

    @Test("small chunks do not keep large buffers alive in the history")
    func historyCopiesSmallChunks() {
        var history = History(limit: 1 << 20)
        var big = ByteBuffer()
        big.reserveCapacity(65_536)
        big.writeString("x")
        for i in 0..<10_000 {
            history.append(HistoryChunk(offset: i, timestamp: 0, bytes: big))
        }
        #expect(history.kept.count == history.chunkLimit)
        #expect(history.kept.allSatisfy { $0.bytes.storageCapacity < 4096 })
        #expect(history.cut == (history.chunkLimit / 2)..<(10_000 - history.chunkLimit / 2))
    }

    @Test("the model walks each direction through open, EOF, shut, closed; errors stay")
    func phases() {
        let model = InspectorModel(target: "127.0.0.1:6379")
        let client = PeerAddress.ip(host: "127.0.0.1", port: 5000)
        let target = PeerAddress.ip(host: "127.0.0.1", port: 6379)
        model.record(SessionEvent(conn: 1, .open(client: client, target: target)))
        model.record(
            SessionEvent(conn: 1, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "PING\r\n"))))
        var s = model.snapshot().sessions[0]
        #expect(s.c2s.phase == .open && s.c2s.bytes == 6 && s.c2s.chunks == 1)
        model.record(SessionEvent(conn: 1, .eof(.c2s)))
        #expect(model.snapshot().sessions[0].c2s.phase.word == "EOF")
        model.record(SessionEvent(conn: 1, .shutdown(.c2s)))
        #expect(model.snapshot().sessions[0].c2s.phase.word == "shut")
        model.record(SessionEvent(conn: 1, .readError(.s2c, "connection reset by peer")))
        model.record(SessionEvent(conn: 1, .pause(.s2c)))
        model.record(
            SessionEvent(
                conn: 1, .held(.s2c, HeldChunk(number: 1, bytes: ByteBuffer(string: "+OK\r\n")))))
        s = model.snapshot().sessions[0]
        #expect(s.s2c.paused && s.s2c.heldBytes == 5)
        model.record(SessionEvent(conn: 1, .close(c2s: Stats(), s2c: Stats())))
        s = model.snapshot().sessions[0]
        #expect(s.c2s.phase.word == "closed")
        #expect(s.s2c.phase.word == "read error: connection reset by peer")
        #expect(s.closed != nil && s.s2c.heldBytes == nil)
        #expect(model.snapshot(historyFor: []).sessions[0].c2s.history.isEmpty)
        #expect(model.snapshot().sessions[0].c2s.history.count == 1)
    }

    @Test(
        "tls events before open belong to the session when it opens; a failed handshake is listed as failed")
    func tlsBeforeOpen() {
        let model = InspectorModel(target: "127.0.0.1:8443")
        let server = TLSSummary(
            side: .server, version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", alpn: "h2", verified: false)
        let client = TLSSummary(
            side: .client, version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", sni: "a.test", alpn: "h2")
        model.record(SessionEvent(conn: 1, .tls(server)))
        model.record(SessionEvent(conn: 1, .tls(client)))
        #expect(model.snapshot().sessions.isEmpty)
        model.record(
            SessionEvent(
                conn: 1,
                .open(client: .ip(host: "127.0.0.1", port: 5000), target: .ip(host: "127.0.0.1", port: 8443)))
        )
        let opened = model.snapshot().sessions[0]
        #expect(opened.tls == [server, client])
        #expect(opened.tls(.server)?.verified == false)
        model.record(
            SessionEvent(
                conn: 2, .tlsError(side: .client, error: "the client rejected flowtap's certificate")))
        let failed = model.snapshot().sessions[1]
        #expect(failed.id == 2 && failed.closed != nil)
        #expect(failed.connectError == "TLS: the client rejected flowtap's certificate")
    }

    @Test("JSON lines follow DESIGN.md §6 exactly")
    func json() {
        let t: UInt64 = 1_795_617_012_234_301_000
        func line(_ session: Int?, _ kind: SessionEvent.Kind, payload: PayloadForms = []) -> String? {
            EventFormatter.json(SessionEvent(conn: session, kind, time: t), payload: payload)
        }
        #expect(
            line(nil, .listening(address: "127.0.0.1:43117"))
                == #"{"t":1795617012.234301,"event":"listening","address":"127.0.0.1:43117"}"#)
        #expect(
            line(1, .data(.c2s, offset: 14, bytes: ByteBuffer(string: "*1\r\n")), payload: .hex)
                == #"{"t":1795617012.234301,"event":"data","conn":1,"dir":"c2s","offset":14,"bytes":4,"hex":"2a310d0a"}"#
        )
        // --payload text: the ByteEscapes notation (a backslash doubled, control bytes escaped),
        // then JSON's own escaping of the backslashes.
        #expect(
            line(
                1, .data(.c2s, offset: 0, bytes: ByteBuffer(bytes: Array("a\\\r\n".utf8) + [0, 0xff])),
                payload: .text)
                == #"{"t":1795617012.234301,"event":"data","conn":1,"dir":"c2s","offset":0,"bytes":6,"text":"a\\\\\\r\\n\\x00\\xff"}"#
        )
        #expect(
            line(1, .data(.s2c, offset: 2, bytes: ByteBuffer(string: "ok")), payload: .both)
                == #"{"t":1795617012.234301,"event":"data","conn":1,"dir":"s2c","offset":2,"bytes":2,"hex":"6f6b","text":"ok"}"#
        )
        #expect(
            line(1, .writeError(.c2s, "connection \"reset\"\n"))
                == #"{"t":1795617012.234301,"event":"write_error","conn":1,"dir":"c2s","error":"connection \"reset\"\n"}"#
        )
        #expect(
            line(
                2,
                .close(
                    c2s: Stats(
                        readBytes: 14, readOps: 1, writeBytes: 14, writeOps: 1, duration: .milliseconds(120)),
                    s2c: Stats()))
                == #"{"t":1795617012.234301,"event":"close","conn":2,"c2s":{"read_bytes":14,"read_ops":1,"write_bytes":14,"write_ops":1,"duration_s":0.120000},"s2c":{"read_bytes":0,"read_ops":0,"write_bytes":0,"write_ops":0,"duration_s":0.000000}}"#
        )
        #expect(line(1, .held(.c2s, HeldChunk(number: 1, bytes: ByteBuffer(string: "abc")))) == nil)
        let original = ByteBuffer(string: "ab")
        #expect(
            line(
                1, .edit(.c2s, originalBytes: 2, originalSHA256: "fb8e", bytes: 3, original: original),
                payload: .both)
                == #"{"t":1795617012.234301,"event":"edit","conn":1,"dir":"c2s","original_bytes":2,"original_sha256":"fb8e","bytes":3,"original_hex":"6162","original_text":"ab"}"#
        )
        #expect(
            line(1, .drop(.s2c, bytes: 2, sha256: "fb8e", original: original), payload: .text)
                == #"{"t":1795617012.234301,"event":"drop","conn":1,"dir":"s2c","bytes":2,"sha256":"fb8e","text":"ab"}"#
        )
        #expect(
            line(1, .drop(.s2c, bytes: 2, sha256: "fb8e", original: original))
                == #"{"t":1795617012.234301,"event":"drop","conn":1,"dir":"s2c","bytes":2,"sha256":"fb8e"}"#)
        #expect(
            line(1, .inject(.c2s, bytes: 5))
                == #"{"t":1795617012.234301,"event":"inject","conn":1,"dir":"c2s","bytes":5}"#)
    }

    @Test("-x blocks use socat's -v -x layout")
    func socatLayout() {
        let bytes = ByteBuffer(string: "PING\r\n*1\r\nabcdefghijklmnopqrstuvwxyz\u{1}")
        let block = EventFormatter.payloadBlock(0, .s2c, offset: 10, bytes: bytes, session: nil)
        let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("< ") && lines[0].hasSuffix("  length=37 from=10 to=46"))
        #expect(lines[1] == " 50 49 4e 47 0d 0a                                PING..")
        #expect(lines[2] == " 2a 31 0d 0a                                      *1..")
        #expect(lines[3] == " 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70  abcdefghijklmnop")
        #expect(lines[4] == " 71 72 73 74 75 76 77 78 79 7a 01                 qrstuvwxyz.")
        #expect(lines[5] == "--")
    }

    @Test("-v blocks: socat's header, then the bytes as escaped text broken after each newline")
    func textLayout() throws {
        let bytes = ByteBuffer(
            bytes: Array("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n".utf8) + [0x1b, 0x5b, 0xff])
        let block = EventFormatter.payloadBlock(0, .c2s, offset: 0, bytes: bytes, session: 4, payload: .text)
        let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("> ") && lines[0].hasSuffix("  length=32 from=0 to=31  conn=4"))
        #expect(
            Array(lines.dropFirst())
                == [#"GET / HTTP/1.1\r\n"#, #"Host: a\\b\r\n"#, #"\r\n"#, #"\x1b[\xff"#, ""])
        // The line breaks are layout only: without them the escapes give the bytes back.
        let text = lines.dropFirst().joined()
        #expect(try ByteEscapes.decode(text) == Array(bytes.readableBytesView))
        // Both: socat's hex rows, then the text, then socat's `--`.
        let both = EventFormatter.payloadBlock(
            0, .c2s, offset: 0, bytes: ByteBuffer(string: "a\n"), session: nil, payload: .both)
        #expect(
            both.split(separator: "\n").dropFirst().map(String.init) == [
                " 61 0a" + String(repeating: " ", count: 42) + "  a.", #"a\n"#, "--",
            ])
    }
}

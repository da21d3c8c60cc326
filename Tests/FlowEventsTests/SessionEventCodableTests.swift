import FlowCore
import FlowEvents
import Foundation
import NIOCore
import Testing

@Suite("SessionEvent: one schema for the log and the capture")
struct SessionEventCodableTests {
    static let t: UInt64 = 1_795_617_012_234_301_000

    /// One event of every kind, with awkward texts and both kinds of peer.
    static let all: [SessionEvent.Kind] = [
        .listening(address: "[::1]:43117"),
        .open(client: .ip(host: "::1", port: 53_422), target: .unix(path: "/tmp/a b:80.sock")),
        .connectError(
            client: .unix(path: ""), target: .ip(host: "127.0.0.1", port: 6379), error: "refused \"x\"\n"),
        .data(.c2s, offset: 14, bytes: ByteBuffer(bytes: [0, 1, 0x1b, 0xff])),
        .eof(.c2s), .shutdown(.s2c), .readError(.s2c, "reset\u{1b}[2J"), .writeError(.c2s, "broken pipe"),
        .pause(.c2s), .resume(.s2c), .step(.c2s), .fault(.s2c, "latency=200ms~50ms"),
        .held(.c2s, HeldChunk(number: 3, bytes: ByteBuffer(string: "held"))),
        .edit(.c2s, originalBytes: 2, originalSHA256: "fb8e", bytes: 3, original: ByteBuffer(string: "ab")),
        .drop(.s2c, bytes: 2, sha256: "fb8e", original: ByteBuffer(string: "ab")),
        .inject(.c2s, bytes: 5),
        .rewrite(.s2c, count: 2, originalBytes: 10, bytes: 12, originalSHA256: "00ff"),
        .captureError("no space left on device"),
        .close(
            c2s: Stats(
                readBytes: 14, readOps: 1, writeBytes: 14, writeOps: 1, duration: .microseconds(120_001)),
            s2c: Stats()),
        .note("c2s: 512 bytes not captured"),
        .gap(.s2c, from: 8 << 20, to: 40 << 20),
        .acceptError("cannot accept on 127.0.0.1:80: too many open files"),
        .acceptPaused(sessions: 6, limit: 6), .acceptResumed(sessions: 5),
        .controlError("unknown command \"x\"\u{1b}", line: 3),
        .tls(
            TLSSummary(
                side: .server, version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", sni: "example.com",
                alpn: "h2", verified: false, subject: "CN=example.com,O=\u{1b}x", issuer: "CN=CA",
                expiry: 1_800_000_000)),
        .tls(TLSSummary(side: .client, version: "TLSv1.2", cipher: "0xc02f")),
        .tlsError(side: .client, error: "the client rejected flowtap's certificate"),
    ]

    @Test("every kind encodes and decodes back to itself, bytes included")
    func roundTrip() throws {
        var encoder = JSONLineEncoder()
        encoder.userInfo[SessionEvent.includeBytes] = true
        for (index, kind) in Self.all.enumerated() {
            let event = SessionEvent(conn: index % 3 == 0 ? nil : index, kind, time: Self.t)
            let line = try encoder.encode(event)
            #expect(!line.contains("\n") && !line.contains("\u{1b}"), "\(line)")
            let back = try JSONDecoder().decode(SessionEvent.self, from: Data(line.utf8))
            #expect(back == event, "\(line)")
        }
    }

    @Test("tls and tls_error: their fields, absent ones left out")
    func tlsFields() throws {
        let line = try JSONLineEncoder().encode(
            SessionEvent(
                conn: 2,
                .tls(
                    TLSSummary(
                        side: .server, version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", sni: "a.test",
                        verified: true, subject: "CN=a.test", issuer: "CN=CA", expiry: 1_800_000_000)),
                time: Self.t))
        #expect(
            line
                == #"{"t":1795617012.234301,"event":"tls","conn":2,"side":"server","version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","sni":"a.test","verified":true,"subject":"CN=a.test","issuer":"CN=CA","expiry":1800000000}"#
        )
        let error = try JSONLineEncoder().encode(
            SessionEvent(conn: 3, .tlsError(side: .client, error: "EOF"), time: Self.t))
        #expect(
            error == #"{"t":1795617012.234301,"event":"tls_error","conn":3,"side":"client","error":"EOF"}"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                SessionEvent.self,
                from: Data(#"{"t":1,"event":"tls_error","conn":3,"side":"middle","error":"x"}"#.utf8))
        }
        var named = SessionEvent(conn: 4, .tlsError(side: .client, error: "EOF"), time: Self.t)
        named.clientAddress = .ip(host: "::1", port: 5)
        let namedLine = try JSONLineEncoder().encode(named)
        #expect(
            namedLine
                == #"{"t":1795617012.234301,"event":"tls_error","conn":4,"side":"client","error":"EOF","client":"[::1]:5"}"#
        )
        #expect(try JSONDecoder().decode(SessionEvent.self, from: Data(namedLine.utf8)) == named)
    }

    @Test("field order is the contract's: t, event, conn, dir, then the kind's fields")
    func order() throws {
        let line = try JSONLineEncoder().encode(
            SessionEvent(conn: 7, .fault(.s2c, "slice=1"), time: Self.t))
        #expect(line == #"{"t":1795617012.234301,"event":"fault","conn":7,"dir":"s2c","fault":"slice=1"}"#)
        let open = try JSONLineEncoder().encode(
            SessionEvent(
                conn: 1, .open(client: .unix(path: "/tmp/c"), target: .ip(host: "::1", port: 80)),
                time: Self.t))
        #expect(
            open
                == #"{"t":1795617012.234301,"event":"open","conn":1,"client":"/tmp/c","target":"[::1]:80","client_unix":true}"#
        )
    }

    @Test("bytes are left out unless asked for")
    func bytesOnRequest() throws {
        let event = SessionEvent(
            conn: 1, .drop(.c2s, bytes: 2, sha256: "ab", original: ByteBuffer(string: "hi")))
        #expect(!(try JSONLineEncoder().encode(event)).contains("hex"))
        var encoder = JSONLineEncoder()
        encoder.userInfo[SessionEvent.includeBytes] = true
        #expect(try encoder.encode(event).hasSuffix(#","hex":"6869"}"#))
    }

    @Test(
        "bad input is a DecodingError, never a trap",
        arguments: [
            #"{"event":"data","conn":1,"dir":"c2s","offset":-1,"bytes":1,"hex":"00"}"#,
            #"{"event":"data","conn":1,"dir":"c2s","offset":0,"bytes":1}"#,
            #"{"event":"data","conn":1,"dir":"up","offset":0,"bytes":1,"hex":"00"}"#,
            #"{"event":"edit","conn":1,"dir":"c2s","original_bytes":1,"original_sha256":"x","bytes":1,"original_hex":"zz"}"#,
            #"{"event":"teleport","conn":1}"#,
            #"{"event":"open","conn":1,"client":"localhost:99999","target":"1.2.3.4:5"}"#,
            #"{"t":-5,"event":"eof","conn":1,"dir":"c2s"}"#,
            #"{"t":1e300,"event":"eof","conn":1,"dir":"c2s"}"#,
            #"{"event":"close","conn":1,"c2s":{"read_bytes":1},"s2c":{}}"#,
        ])
    func badInput(line: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SessionEvent.self, from: Data(line.utf8))
        }
    }

    @Test("peer addresses parse back from their text; anything else is not an IP peer")
    func peers() {
        #expect(PeerAddress(parsing: "127.0.0.1:80") == .ip(host: "127.0.0.1", port: 80))
        #expect(PeerAddress(parsing: "[::1]:8080") == .ip(host: "::1", port: 8080))
        for text in [
            "localhost:80", "1.2.3.4:+80", "1.2.3.4:65536", "1.2.3:80", "[::1]80", "::1:80", "/tmp/x", "",
        ] {
            #expect(PeerAddress(parsing: text) == nil, "\(text)")
        }
    }

    @Test("Seconds print six decimals, round down, and saturate")
    func seconds() {
        #expect(Seconds(nanoseconds: 1_999_999).jsonText == "0.001999")
        #expect(Seconds(.milliseconds(120)).jsonText == "0.120000")
        #expect(Seconds(.seconds(-3)).nanoseconds == 0)
        #expect(Seconds(.seconds(Int64.max)).nanoseconds == .max)
    }

    @Test("Hex decodes what it encodes and refuses anything else")
    func hex() {
        let bytes = ByteBuffer(bytes: Array(0...255))
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        #expect(Hex.decode("ABcd") == ByteBuffer(bytes: [0xab, 0xcd]))
        #expect(Hex.decode("abc") == nil && Hex.decode("zz") == nil)
    }
}

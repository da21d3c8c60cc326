import Crypto
import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import NIOCore
import Testing

@Suite("SHA-256, rewrite rules, replay scripts and comparisons")
struct RewriteAndReplayTests {
    @Test("SHA-256 gives the FIPS 180-4 test vectors")
    func sha256Vectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a spec parses into directions and escaped bytes")
    func parseSpecs() throws {
        let rule = try RewriteRule.parse(#"c2s:Host: a\r\n=Host: b=c\r\n"#)
        #expect(rule.directions == [.c2s])
        #expect(rule.from == Array("Host: a\r\n".utf8))
        #expect(rule.to == Array("Host: b=c\r\n".utf8))
        #expect(try RewriteRule.parse("both:x=").directions == [.c2s, .s2c])
        #expect(try RewriteRule.parse("S2C:\\x3d=y").from == [0x3d])
    }

    @Test("bad specs name the part that is wrong")
    func badSpecs() {
        func message(_ spec: String) -> String {
            do {
                _ = try RewriteRule.parse(spec)
                return "parsed"
            } catch {
                return error.description
            }
        }
        #expect(message("up:a=b") == #"DIR must be c2s, s2c or both, not "up""#)
        #expect(message("a=b") == "expected DIR:FROM=TO (DIR is c2s, s2c or both)")
        #expect(message("c2s:ab").hasPrefix(#"no "=" between FROM and TO"#))
        #expect(message("c2s:=b") == "FROM is empty")
        #expect(message(#"c2s:a\q=b"#) == #"FROM: unknown escape \q at character 2"#)
        #expect(message(#"c2s:a=\x1"#) == #"TO: \x needs two hex digits at character 1"#)
    }

    @Test("every non-overlapping occurrence is replaced, left to right")
    func apply() {
        let rule = RewriteRule(directions: [.c2s], from: Array("aa".utf8), to: Array("b".utf8))
        #expect(rule.apply(to: Array("aaaXaa".utf8)) == (Array("baXb".utf8), 2))
        #expect(rule.apply(to: Array("xyz".utf8)) == (Array("xyz".utf8), 0))
        #expect(rule.apply(to: Array("a".utf8)) == (Array("a".utf8), 0))
        let delete = RewriteRule(directions: [.c2s], from: [0x0d], to: [])
        #expect(delete.apply(to: [0x0d, 0x0a, 0x0d]) == ([0x0a], 2))
    }

    @Test("a script has each side's steps with the peer's byte count before them, and the FIN")
    func script() {
        func event(_ t: UInt64, _ kind: SessionEvent.Kind) -> SessionEvent {
            SessionEvent(conn: 4, kind, time: t)
        }
        let client = PeerAddress.ip(host: "127.0.0.1", port: 1)
        let session = CapturedSession(
            id: 4, client: client, server: client,
            events: [
                event(100, .open(client: client, target: client)),
                event(110, .data(.s2c, offset: 0, bytes: ByteBuffer(string: "220 hi\r\n"))),
                event(120, .data(.c2s, offset: 0, bytes: ByteBuffer(string: "HELO\r\n"))),
                event(130, .data(.s2c, offset: 8, bytes: ByteBuffer(string: "250\r\n"))),
                event(140, .eof(.c2s)),
                event(141, .shutdown(.c2s)),
                event(150, .data(.s2c, offset: 13, bytes: ByteBuffer(string: "bye"))),
                event(160, .shutdown(.s2c)),
                event(170, .close(c2s: Stats(), s2c: Stats())),
            ])
        let script = ReplayScript(session)
        #expect(script.sessionID == 4)
        #expect(script.start == 100)
        #expect(
            script.steps[.c2s]
                == [
                    .init(action: .send(ByteBuffer(string: "HELO\r\n")), timestamp: 120, peerBytesBefore: 8),
                    .init(action: .fin, timestamp: 140, peerBytesBefore: 13),
                ])
        #expect(script.steps[.s2c]!.map(\.peerBytesBefore) == [0, 6, 6, 6])
        #expect(script.steps[.s2c]!.last!.action == .fin)
        #expect(script.bytes[.s2c] == Array("220 hi\r\n250\r\nbye".utf8))
        #expect(throws: ReplayScript.SelectionError.noSuchSession(5, available: [4])) {
            try ReplayScript.select([session], id: 5)
        }
        #expect(
            ReplayScript.SelectionError.noSuchSession(5, available: [1, 2]).description
                == "no session 5 (sessions: 1, 2)")
    }

    @Test("the comparison finds the first difference and shows it as a hex diff")
    func comparison() {
        let same = ReplayComparison(expected: [1, 2, 3], got: [1, 2, 3])
        #expect(same.matches && same.hexDiff().isEmpty)
        #expect(ReplayComparison(expected: [1, 2, 3], got: [1, 2]).firstDifference == 2)
        #expect(ReplayComparison(expected: [1, 2], got: [1, 2, 3]).firstDifference == 2)
        let expected = Array("+PONG\r\n+OK\r\n$1\r\nv\r\n".utf8)
        let got = Array("+PONG\r\n-ERR nope\r\n".utf8)
        let diff = ReplayComparison(expected: expected, got: got)
        #expect(diff.firstDifference == 7)
        let lines = diff.hexDiff().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "first difference at byte 7 (expected 19 bytes, got 18):")
        #expect(lines[1] == "- 00000000  2b 50 4f 4e 47 0d 0a 2b 4f 4b 0d 0a 24 31 0d 0a  |+PONG..+OK..$1..|")
        #expect(lines[2] == "+ 00000000  2b 50 4f 4e 47 0d 0a 2d 45 52 52 20 6e 6f 70 65  |+PONG..-ERR nope|")
        #expect(lines[3] == String(repeating: " ", count: 12 + 21) + "^^")
        #expect(diff.windowHex(got) == "2b504f4e470d0a2d455252206e6f7065")

        let late = ReplayComparison(
            expected: Array(repeating: 0x61, count: 40), got: Array(repeating: 0x61, count: 30))
        let lateLines = late.hexDiff().split(separator: "\n").map(String.init)
        #expect(late.windowStart() == 22)
        #expect(
            lateLines[1] == "- 00000016  61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|")
        #expect(lateLines[2] == "+ 00000016  61 61 61 61 61 61 61 61 (end)                    |aaaaaaaa|")
        #expect(lateLines[3] == String(repeating: " ", count: 12 + 24) + "^^")
    }
}

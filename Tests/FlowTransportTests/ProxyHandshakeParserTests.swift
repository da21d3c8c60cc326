import NIOCore
import Testing

@testable import FlowTransport

/// The proxy handshake parsers on their own: SOCKS5 (flowtap's parser, NIOSOCKS's layout and codes),
/// the HTTP proxy request head, and the rewriter of later requests.
@Suite("Proxy handshakes: SOCKS5 parser, HTTP request head, forwarding rewriter")
struct ProxyHandshakeParserTests {
    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    @Test(
        "SOCKS5: greeting and request sent together (no wait) give the selection, then the request and its early data"
    )
    func socks5Pipelined() {
        let parser = SOCKS5ServerParser()
        let input: [UInt8] =
            [5, 1, 0] + [5, 1, 0, 3, 9] + Array("localhost".utf8) + [0x1f, 0x90] + Array("hi".utf8)
        guard case .reply(let reply) = parser.feed(ByteBuffer(bytes: input)) else {
            Issue.record("no method selection")
            return
        }
        #expect(Self.bytes(reply) == [5, 0])
        #expect(parser.pendingRequest)
        guard case .request(let target, let leftover) = parser.pendingOutcome() else {
            Issue.record("no request")
            return
        }
        #expect(target == ProxyTarget(host: "localhost", port: 8080))
        #expect(target.name == "localhost")
        #expect(Self.bytes(leftover) == Array("hi".utf8))
    }

    @Test("SOCKS5: an IPv6 request fed one byte at a time")
    func socks5IPv6ByteByByte() {
        let parser = SOCKS5ServerParser()
        let input: [UInt8] = [5, 2, 2, 0] + [5, 1, 0, 4] + Array(repeating: 0, count: 15) + [1, 0x18, 0xeb]
        var outcomes: [String] = []
        for byte in input {
            switch parser.feed(ByteBuffer(bytes: [byte])) {
            case .needMore: break
            case .reply(let reply): outcomes.append("reply \(Self.bytes(reply))")
            case .request(let target, let leftover):
                outcomes.append("request \(target) \(leftover.readableBytes)")
            case .failed(let error, _): outcomes.append("failed \(error)")
            }
        }
        #expect(outcomes == ["reply [5, 0]", "request [::1]:6379 0"])
    }

    @Test(
        "SOCKS5: refusals get RFC 1928's codes: no acceptable method FF, BIND 7, address type 8, SOCKS4 nothing"
    )
    func socks5Refusals() {
        func outcome(_ input: [UInt8]) -> (String, [UInt8]) {
            let parser = SOCKS5ServerParser()
            var result = parser.feed(ByteBuffer(bytes: input))
            var replies: [UInt8] = []
            if case .reply(let reply) = result {
                replies += Self.bytes(reply)
                result = parser.pendingRequest ? parser.pendingOutcome() : result
            }
            guard case .failed(let error, let reply) = result else { return ("no failure", replies) }
            return (error.reason, replies + Self.bytes(reply))
        }
        let (noMethod, noMethodReply) = outcome([5, 1, 2])
        #expect(noMethod.contains("no acceptable authentication method"))
        #expect(noMethodReply == [5, 0xFF])
        let (bind, bindReply) = outcome([5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80])
        #expect(bind.contains("unsupported command 2 (BIND)"))
        #expect(bindReply == [5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0])
        let (type, typeReply) = outcome([5, 1, 0, 5, 1, 0, 7, 1, 2])
        #expect(type.contains("unsupported address type 7"))
        #expect(typeReply == [5, 0, 5, 8, 0, 1, 0, 0, 0, 0, 0, 0])
        let (socks4, socks4Reply) = outcome([4, 1, 0, 80, 127, 0, 0, 1, 0])
        #expect(socks4.contains("not SOCKS version 5"))
        #expect(socks4Reply.isEmpty)
        let (badName, _) = outcome([5, 1, 0, 5, 1, 0, 3, 3] + Array("a\u{1b}b".utf8) + [0, 80])
        #expect(badName.contains("bad target host \"a\\x1bb\""))
    }

    @Test("HTTP: an absolute-form request becomes origin-form, fields untouched; CONNECT names host:port")
    func httpHead() {
        let get = "GET http://Example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nX: y\r\n\r\nrest"
        guard case .head(let head) = HTTPProxyRequestHead.parse(ByteBuffer(string: get)) else {
            Issue.record("not parsed")
            return
        }
        #expect(head.target == ProxyTarget(host: "Example.com", port: 8080))
        #expect(
            String(buffer: head.forwarded!)
                == "GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nX: y\r\n\r\n")
        #expect(head.length == get.utf8.count - 4)
        guard
            case .head(let bare) = HTTPProxyRequestHead.parse(
                ByteBuffer(string: "HEAD http://h HTTP/1.0\r\n\r\n"))
        else {
            Issue.record("not parsed")
            return
        }
        #expect(bare.target == ProxyTarget(host: "h", port: 80))
        #expect(String(buffer: bare.forwarded!) == "HEAD / HTTP/1.0\r\n\r\n")
        guard
            case .head(let connect) = HTTPProxyRequestHead.parse(
                ByteBuffer(string: "CONNECT [::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n"))
        else {
            Issue.record("not parsed")
            return
        }
        #expect(connect.target == ProxyTarget(host: "::1", port: 443))
        #expect(connect.forwarded == nil)
        #expect(HTTPProxyRequestHead.parse(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")).failure == 400)
        #expect(
            HTTPProxyRequestHead.parse(ByteBuffer(string: "CONNECT host HTTP/1.1\r\n\r\n")).failure == 400)
        #expect(HTTPProxyRequestHead.parse(ByteBuffer(string: "GET http://h/ HTTP/1.1\r\n")) == .needMore)
        let huge = "GET http://h/ HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000)
        #expect(HTTPProxyRequestHead.parse(ByteBuffer(string: huge)).failure == 431)
    }

    @Test(
        "HTTP: Proxy-Connection and Proxy-Authorization (any case, with continuation lines) stay with the proxy, in the first request and later ones"
    )
    func proxyFieldsDropped() {
        let head =
            "GET http://h/x HTTP/1.1\r\nHost: h\r\nProxy-Connection: keep-alive\r\n"
            + "proxy-authorization: Basic dTpw\r\n\tcontinued\r\nX-Proxy-Connection: kept\r\nAccept: */*\r\n\r\n"
        let expected = "GET /x HTTP/1.1\r\nHost: h\r\nX-Proxy-Connection: kept\r\nAccept: */*\r\n\r\n"
        guard case .head(let parsed) = HTTPProxyRequestHead.parse(ByteBuffer(string: head)) else {
            Issue.record("not parsed")
            return
        }
        #expect(String(buffer: parsed.forwarded!) == expected)
        let bare = "GET http://h/ HTTP/1.0\nPROXY-CONNECTION: close\nA: b\n\n"
        guard case .head(let lf) = HTTPProxyRequestHead.parse(ByteBuffer(string: bare)) else {
            Issue.record("not parsed")
            return
        }
        #expect(String(buffer: lf.forwarded!) == "GET / HTTP/1.0\nA: b\n\n")
        var rewriter = HTTPForwardRewriter(target: ProxyTarget(host: "h", port: 80))
        #expect(String(buffer: rewriter.rewrite(ByteBuffer(string: head + head))) == expected + expected)
    }

    @Test(
        "HTTP: a head arriving a byte at a time is found where it ends, the search going on from where it stopped"
    )
    func headByteByByte() {
        let text = "GET http://h:81/x HTTP/1.1\r\nA: b\r\n\r\nbody"
        var pending = ByteBuffer()
        var found: (at: Int, head: HTTPProxyRequestHead)?
        for (index, byte) in text.utf8.enumerated() {
            let searched = pending.readableBytes
            pending.writeInteger(byte)
            if case .head(let head) = HTTPProxyRequestHead.parse(pending, searchedBefore: searched) {
                found = (index + 1, head)
                break
            }
        }
        #expect(found?.at == text.utf8.count - 4)
        #expect(found?.head.length == text.utf8.count - 4)
        #expect(found?.head.target == ProxyTarget(host: "h", port: 81))
    }

    @Test(
        "HTTP forwarding: later requests are rewritten across bodies (length, chunked) and stop at another host"
    )
    func rewriter() {
        let target = ProxyTarget(host: "127.0.0.1", port: 80)
        let input =
            "POST http://127.0.0.1:80/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET h\r\n0\r\n\r\n"
            + "PUT http://127.0.0.1/y HTTP/1.1\r\nContent-Length: 24\r\n\r\nGET http://other/ HTTP/1"
            + "GET http://other/ HTTP/1.1\r\n\r\nnever"
        let expected =
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET h\r\n0\r\n\r\n"
            + "PUT /y HTTP/1.1\r\nContent-Length: 24\r\n\r\nGET http://other/ HTTP/1"
        for split in [input.utf8.count, 1, 7] {
            var rewriter = HTTPForwardRewriter(target: target)
            var out = ""
            let bytes = Array(input.utf8)
            var index = 0
            while index < bytes.count {
                let piece = bytes[index..<min(index + split, bytes.count)]
                out += String(buffer: rewriter.rewrite(ByteBuffer(bytes: piece)))
                index += split
            }
            #expect(out == expected, "pieces of \(split)")
            #expect(
                rewriter.refusal?.contains("request for other:80 on a connection to 127.0.0.1:80") == true)
        }
    }
}

@Suite("Proxy listen addresses")
struct ProxyAddressTests {
    @Test("socks5-listen: and http-proxy-listen: parse like tcp-listen:, print back, and name their protocol")
    func addresses() throws {
        let socks = try Address.parse("socks5-listen:1080")
        #expect(socks == .socks5Listen(host: "127.0.0.1", port: 1080))
        #expect(socks.description == "socks5-listen:127.0.0.1:1080")
        #expect(socks.proxyProtocol == .socks5)
        #expect(socks.isListen)
        let http = try Address.parse("HTTP-PROXY-LISTEN:[::1]:0")
        #expect(http == .httpProxyListen(host: "::1", port: 0))
        #expect(try Address.parse(http.description) == http)
        #expect(http.proxyProtocol == .httpProxy)
        #expect(try Address.parse("tcp-listen:1").proxyProtocol == nil)
        #expect(throws: AddressError.self) { try Address.parse("socks5-listen:") }
        #expect(throws: AddressError.self) { try Address.parse("socks5-listen:1:2:3") }
    }
}

extension HTTPProxyRequestHead.Parse {
    /// The status of a failure, nil otherwise.
    var failure: Int? {
        if case .failed(let status, _) = self { return status }
        return nil
    }
}

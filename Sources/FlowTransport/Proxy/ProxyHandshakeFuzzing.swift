import NIOCore

/// Entry points for fuzzers over the proxy handshake parsers (`Fuzz/`, `FlowFuzzing`): each
/// takes any bytes and traps (`precondition`) when a documented promise breaks.
@_spi(Fuzzing)
public enum ProxyHandshakeFuzzing {
    /// Feeds `bytes` to a SOCKS5 server parser whole, then to another one byte at a time
    /// (answering the method selection as ``ProxyHandshake`` does): both must end the same way
    /// (the same target or the same error), a request's leftover must be the input's tail, a
    /// target's host must be an IP literal or a checked name, and at most
    /// ``SOCKS5ServerParser/maximumHandshakeBytes`` plus one read are held before an outcome.
    public static func socks5(_ bytes: [UInt8]) {
        func run(_ pieces: [[UInt8]]) -> String {
            let parser = SOCKS5ServerParser()
            var fed = 0
            for piece in pieces {
                fed += piece.count
                var outcome = parser.feed(ByteBuffer(bytes: piece))
                while true {
                    switch outcome {
                    case .needMore:
                        precondition(
                            fed <= SOCKS5ServerParser.maximumHandshakeBytes + piece.count, "held too much")
                    case .reply:
                        if parser.pendingRequest {
                            outcome = parser.pendingOutcome()
                            continue
                        }
                    case .request(let target, let leftover):
                        precondition(
                            ProxyTarget.checked(host: target.host, port: target.port) == .success(target))
                        let tail = Array(leftover.readableBytesView)
                        precondition(
                            tail.count <= fed && bytes[..<fed].suffix(tail.count).elementsEqual(tail),
                            "leftover is not the input's tail")
                        // The leftover as it would be with the whole input.
                        return "request \(target) +\(bytes.count - fed + tail.count)"
                    case .failed(let error, _):
                        return "failed \(error.reason)"
                    }
                    break
                }
            }
            return "needMore"
        }
        let whole = run([bytes])
        let byByte = run(bytes.map { [$0] })
        precondition(
            whole == byByte || whole == "needMore" || byByte.hasPrefix("failed SOCKS5: handshake longer"),
            "whole: \(whole), byte by byte: \(byByte)")
    }

    /// Parses `bytes` as an HTTP proxy request head, and runs the forwarding rewriter over
    /// them whole and byte by byte: a head's length is within the input, a forwarded head is
    /// in origin-form (its target starts with `/`), and both rewriter runs give the same bytes.
    public static func http(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        if case .head(let head) = HTTPProxyRequestHead.parse(buffer) {
            precondition(head.length <= bytes.count)
            if let forwarded = head.forwarded {
                let line = forwarded.readableBytesView.split(separator: 0x20, maxSplits: 2)
                precondition(line.count >= 2 && line[1].first == UInt8(ascii: "/"), "not origin-form")
            }
        }
        let target = ProxyTarget(host: "127.0.0.1", port: 80)
        var whole = HTTPForwardRewriter(target: target)
        var out = whole.rewrite(buffer)
        var rest = whole.finish()
        out.writeBuffer(&rest)
        var single = HTTPForwardRewriter(target: target)
        var outSingle = ByteBuffer()
        for byte in bytes {
            var piece = single.rewrite(ByteBuffer(bytes: [byte]))
            outSingle.writeBuffer(&piece)
        }
        var restSingle = single.finish()
        outSingle.writeBuffer(&restSingle)
        precondition(whole.refusal == single.refusal, "refusals differ")
        if whole.refusal == nil {
            precondition(out == outSingle, "whole and byte-by-byte rewrites differ")
        }
    }
}

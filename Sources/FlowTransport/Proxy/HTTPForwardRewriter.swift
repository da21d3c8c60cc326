import NIOCore

/// Follows the requests a client sends on an HTTP proxy connection after its first
/// absolute-form request, and rewrites each request line in origin-form
/// (`GET http://host/a HTTP/1.1` → `GET /a HTTP/1.1`) so that the target gets what it expects.
///
/// Requests are found by their framing: the head up to its empty line, then a body of
/// `Content-Length` bytes or chunked; a body is passed on as it comes. A request for another
/// host or port than the connection's target stops the rewriter (``refusal`` says why): the
/// bytes before it go on, it and everything after are not forwarded. A head the rewriter
/// cannot parse (or a protocol switch) makes it pass every later byte on unchanged.
///
/// Memory is bounded: at most one head (``HTTPProxyRequestHead/maximumLength``) or one chunk
/// size line is held while incomplete. Linear in the bytes fed.
struct HTTPForwardRewriter {
    private enum State {
        case head
        case body(remaining: Int)
        case chunkLine
        case chunkData(remaining: Int)
        case trailers
        case raw
        case stopped
    }

    /// The connection's target: requests must go there.
    let target: ProxyTarget
    private var state = State.head
    /// An incomplete head or line.
    private var pending = ByteBuffer()
    /// Why forwarding stopped: a request for another target (`nil` while it goes on).
    private(set) var refusal: String?

    /// A rewriter for a connection to `target`, starting at the head of a request.
    init(target: ProxyTarget) {
        self.target = target
    }

    /// A rewriter whose first request's head was already forwarded (its body framed by `body`).
    init(target: ProxyTarget, after body: HTTPProxyRequestHead.Body) {
        self.target = target
        switch body {
        case .none: state = .head
        case .length(let count): state = count == 0 ? .head : .body(remaining: count)
        case .chunked: state = .chunkLine
        case .unknown: state = .raw
        }
    }

    /// Whether it stopped at a request for another target.
    var isStopped: Bool {
        if case .stopped = state { return true }
        return false
    }

    /// The bytes to forward for `input` (maybe none yet, while a head is incomplete).
    mutating func rewrite(_ input: ByteBuffer) -> ByteBuffer {
        var input = input
        var output = ByteBuffer()
        while input.readableBytes > 0 {
            switch state {
            case .stopped:
                return output
            case .raw:
                output.writeBuffer(&input)
            case .body(let remaining):
                let count = min(remaining, input.readableBytes)
                var slice = input.readSlice(length: count)!
                output.writeBuffer(&slice)
                state = remaining == count ? .head : .body(remaining: remaining - count)
            case .chunkData(let remaining):
                let count = min(remaining, input.readableBytes)
                var slice = input.readSlice(length: count)!
                output.writeBuffer(&slice)
                // The CRLF after the data is read as an empty chunk line.
                state = remaining == count ? .chunkLine : .chunkData(remaining: remaining - count)
            case .chunkLine, .trailers:
                guard let line = takeLine(&input, into: &output) else { continue }
                if case .trailers = state {
                    if line.isEmpty { state = .head }
                    continue
                }
                if line.isEmpty { continue }  // the CRLF that ends a chunk's data
                let digits = line.prefix { $0 != UInt8(ascii: ";") && $0 != 0x20 && $0 != 0x09 }
                guard let size = Self.hex(digits) else {
                    state = .raw
                    continue
                }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .head:
                let searched = pending.readableBytes
                pending.writeBuffer(&input)
                switch HTTPProxyRequestHead.parse(pending, searchedBefore: searched) {
                case .needMore:
                    return output
                case .failed:
                    output.writeBuffer(&pending)
                    state = .raw
                case .head(let head):
                    guard head.target == target else {
                        refusal =
                            "request for \(head.target) on a connection to \(target) (one proxy connection goes to one host)"
                        state = .stopped
                        pending.clear()
                        return output
                    }
                    pending.moveReaderIndex(forwardBy: head.length)
                    input = pending
                    pending = ByteBuffer()
                    if var forwarded = head.forwarded {
                        output.writeBuffer(&forwarded)
                    } else {
                        // A CONNECT to the same target inside the tunnel: passed on as it is.
                        state = .raw
                        continue
                    }
                    switch head.body {
                    case .none: state = .head
                    case .length(let count): state = count == 0 ? .head : .body(remaining: count)
                    case .chunked: state = .chunkLine
                    case .unknown: state = .raw
                    }
                }
            }
        }
        return output
    }

    /// What is held at the end of the input (an incomplete head), to pass on as it is.
    mutating func finish() -> ByteBuffer {
        defer { pending = ByteBuffer() }
        return pending
    }

    /// Takes one line (without its LF and CR) from `pending` + `input`, copying its bytes to
    /// `output` as they are; nil when the line is not whole yet (its bytes are held). A line
    /// longer than 4 KiB switches to raw.
    private mutating func takeLine(_ input: inout ByteBuffer, into output: inout ByteBuffer) -> [UInt8]? {
        let view = input.readableBytesView
        guard let lf = view.firstIndex(of: 0x0A) else {
            pending.writeBuffer(&input)
            if pending.readableBytes > 4096 {
                output.writeBuffer(&pending)
                state = .raw
            }
            return nil
        }
        var part = input.readSlice(length: lf - view.startIndex + 1)!
        pending.writeBuffer(&part)
        var line = pending.readBytes(length: pending.readableBytes)!
        output.writeBytes(line)
        pending.clear()
        line.removeLast()
        if line.last == 0x0D { line.removeLast() }
        return line
    }

    /// A chunk size: 1 to 15 hex digits.
    private static func hex<C: Collection<UInt8>>(_ digits: C) -> Int? {
        guard (1...15).contains(digits.count) else { return nil }
        var value = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | Int(nibble)
        }
        return value
    }
}

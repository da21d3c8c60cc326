/// The `http` decoder: HTTP/1.0 and HTTP/1.1, requests from the client, responses from the
/// server. A message is a whole request or response: head and body.
///
/// Supports: `Content-Length` (a list of equal values too), `Transfer-Encoding: chunked` with
/// extensions and trailers (it wins over `Content-Length`), bodies that end at close (a
/// response without either, or whose last coding is not chunked: the message ends at
/// ``FrameConversation/end(_:)``), no body for a response to `HEAD`, for `1xx`, `204` and `304`,
/// interim `1xx` responses as messages of their own, pipelining, and empty lines before a
/// request (counted in it). After a `CONNECT` answered 2xx or any `101 Switching Protocols`,
/// both sides are raw (``RawSwitch``). Between a `CONNECT` (or a request with `Upgrade`) and its
/// answer, the client's bytes are counted but not decoded (the answer decides what they are);
/// if the answer refuses and such bytes came, the client side gets a decode error.
///
/// Not supported (decode errors): HTTP/2 and other versions than 1.x, a line over 64 KiB, a
/// header line without a colon, a bad or conflicting `Content-Length`, a chunk size that is
/// not hex or over 2^60, a request whose transfer coding does not end in `chunked`.
///
/// Summaries: the start line, `GET /path HTTP/1.1`, `HTTP/1.1 200 OK`.
///
/// Pairing, in order: every request awaits a reply; the responses to it (interim 1xx, then the
/// final one) answer it, the first with ``ReplyPairing/isFirst``. A response when no request is
/// outstanding is unpaired and framed as if it answered a `GET`.
///
/// Errors: each side alone goes raw. After a client-side error the server side decodes on,
/// framing responses to requests it did not see as answers to a `GET`. At most 4,096 pipelined
/// `HEAD`/`CONNECT`/`Upgrade` requests are remembered; later ones are framed like a `GET`.
struct HTTPFramer: FramerEngine {
    private enum Stage: Sendable {
        case startLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
        case untilClose
        /// A client after `CONNECT` or `Upgrade`, until the answer.
        case awaitingAnswer
    }

    private struct Side: Sendable {
        var stage = Stage.startLine
        var line = LineBuffer(limit: HTTPFramer.lineLimit)
        var head = HTTPHead()
        var lineStart = 0
    }

    /// What framing needs to know of a request until its final response.
    private struct Request: Sendable {
        var method: HTTPHead.Method
        var wantsUpgrade: Bool
    }

    static let lineLimit = 64 * 1024
    static let maxChunk = 1 << 60
    private static let maxRemembered = 4096

    private var sides = PerSide(Side())
    /// The request the next response answers.
    private var nextToAnswer = 0
    /// Whether a response (an interim one) already answered it.
    private var answeredOnce = false
    private var remembered: [Int: Request] = [:]

    mutating func consume(
        _ side: FrameSide, _ bytes: UnsafeRawBufferPointer, at base: Int, _ ledger: inout Ledger
    ) {
        var i = 0
        while i < bytes.count, ledger.isDecoding(side) {
            switch sides[side].stage {
            case .body(let remaining):
                let (next, left) = CountedBody.take(bytes, from: i, remaining: remaining)
                i = next
                if left == 0 {
                    complete(side, end: base + i, &ledger)
                } else {
                    sides[side].stage = .body(remaining: left)
                }
            case .chunkData(let remaining):
                let (next, left) = CountedBody.take(bytes, from: i, remaining: remaining)
                i = next
                sides[side].stage = left == 0 ? .chunkEnd : .chunkData(remaining: left)
            case .untilClose, .awaitingAnswer:
                return
            case .startLine, .headers, .chunkSize, .chunkEnd, .trailers:
                if sides[side].line.bytes.isEmpty { sides[side].lineStart = base + i }
                switch sides[side].line.take(bytes, from: i) {
                case .needMore:
                    return
                case .tooLong(let at):
                    ledger.fail(side, at: base + at, "HTTP line longer than \(Self.lineLimit) bytes")
                    return
                case .line(let next):
                    i = next
                    line(side, end: base + i, &ledger)
                    sides[side].line.reset()
                }
            }
        }
    }

    mutating func finish(_ side: FrameSide, _ ledger: inout Ledger) {
        switch sides[side].stage {
        case .untilClose:
            complete(side, end: ledger[side].fed, &ledger)
        case .awaitingAnswer where ledger[side].fed > ledger[side].lastEnd:
            ledger.goRaw(side, "ended before the answer to its CONNECT or Upgrade")
        default:
            break
        }
    }

    func remaining(_ side: FrameSide) -> Int? {
        if case .body(let remaining) = sides[side].stage { return remaining }
        return nil
    }

    func partialSummary(_ side: FrameSide) -> String {
        let state = sides[side]
        if state.head.summary.count > 0 { return state.head.summary.text }
        var builder = SummaryBuilder()
        builder.append(bytes: state.line.line)
        return builder.text
    }

    /// One complete line of a head, chunk header or trailer.
    private mutating func line(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let text = sides[side].line.line
        let lineStart = sides[side].lineStart
        switch sides[side].stage {
        case .startLine:
            guard !text.isEmpty else { return }  // empty lines before a message belong to it
            let problem =
                side == .client
                ? sides[side].head.readRequestLine(text) : sides[side].head.readStatusLine(text)
            if let problem { return ledger.fail(side, at: lineStart, problem) }
            sides[side].stage = .headers
        case .headers:
            if text.isEmpty { return headEnded(side, end: end, &ledger) }
            if let problem = sides[side].head.readField(text) { ledger.fail(side, at: lineStart, problem) }
        case .chunkSize:
            let digits = ByteParsing.trimmed(text.prefix(while: { $0 != UInt8(ascii: ";") }))
            guard let size = Self.hex(digits) else {
                return ledger.fail(
                    side, at: lineStart, "bad chunk size: \(SummaryText.escape(text.prefix(40)))")
            }
            sides[side].stage = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkEnd:
            guard text.isEmpty else {
                return ledger.fail(side, at: lineStart, "chunk data not followed by a line end")
            }
            sides[side].stage = .chunkSize
        case .trailers:
            if text.isEmpty { complete(side, end: end, &ledger) }
        default:
            break
        }
    }

    private mutating func headEnded(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let head = sides[side].head
        if side == .client {
            if head.hasTransferEncoding {
                guard head.isChunked else {
                    return ledger.fail(side, at: end - 1, "request Transfer-Encoding does not end in chunked")
                }
                sides[side].stage = .chunkSize
            } else if let length = head.contentLength, length > 0 {
                sides[side].stage = .body(remaining: length)
            } else {
                complete(side, end: end, &ledger)
            }
            return
        }
        let request = pendingRequest(ledger)
        let status = head.status
        let noBody =
            status < 200 || status == 204 || status == 304 || request?.method == .head
            || (request?.method == .connect && status < 300)
        if noBody {
            complete(side, end: end, &ledger)
        } else if head.hasTransferEncoding {
            sides[side].stage = head.isChunked ? .chunkSize : .untilClose
        } else if let length = head.contentLength {
            if length > 0 {
                sides[side].stage = .body(remaining: length)
            } else {
                complete(side, end: end, &ledger)
            }
        } else {
            sides[side].stage = .untilClose
        }
    }

    /// The request the next response answers: a whole one not yet answered, or the one whose
    /// head came and whose body is still coming (answered early: `100 Continue`, a refusal).
    private func pendingRequest(_ ledger: Ledger) -> Request? {
        if nextToAnswer < ledger.nextIndex(.client) {
            return remembered[nextToAnswer] ?? Request(method: .other, wantsUpgrade: false)
        }
        switch sides[.client].stage {
        case .body, .chunkSize, .chunkData, .chunkEnd, .trailers:
            guard nextToAnswer == ledger.nextIndex(.client) else { return nil }
            return Request(method: sides[.client].head.method, wantsUpgrade: sides[.client].head.wantsUpgrade)
        default:
            return nil
        }
    }

    /// The message of `side` is complete at `end`.
    private mutating func complete(_ side: FrameSide, end: Int, _ ledger: inout Ledger) {
        let head = sides[side].head
        sides[side].head = HTTPHead()
        sides[side].stage = .startLine
        if side == .client {
            let index = ledger.emit(.client, end: end, summary: head.summary.text, awaitsReply: true)
            if head.method != .other || head.wantsUpgrade, remembered.count < Self.maxRemembered {
                remembered[index] = Request(method: head.method, wantsUpgrade: head.wantsUpgrade)
            }
            if head.method == .connect || head.wantsUpgrade { sides[.client].stage = .awaitingAnswer }
            return
        }
        let request = pendingRequest(ledger)
        let reply = request.map { _ in ReplyPairing(request: nextToAnswer, isFirst: !answeredOnce) }
        ledger.emit(.server, end: end, summary: head.summary.text, reply: reply)
        let status = head.status
        guard let request else {
            if status == 101 { switchBoth("after 101 Switching Protocols", &ledger) }
            return
        }
        if status >= 100 && status < 200 && status != 101 {
            answeredOnce = true
            return
        }
        remembered[nextToAnswer] = nil
        nextToAnswer += 1
        answeredOnce = false
        if status == 101 {
            switchBoth("after 101 Switching Protocols", &ledger)
        } else if request.method == .connect && status < 300 {
            switchBoth("after CONNECT answered \(status)", &ledger)
        } else if case .awaitingAnswer = sides[.client].stage,
            request.method == .connect || request.wantsUpgrade
        {
            if ledger[.client].fed > ledger[.client].lastEnd {
                ledger.fail(
                    .client, at: ledger[.client].lastEnd,
                    "bytes sent before the refused CONNECT or Upgrade was answered (\(status)) were not decoded"
                )
            } else {
                sides[.client].stage = .startLine
            }
        }
    }

    private mutating func switchBoth(_ reason: String, _ ledger: inout Ledger) {
        ledger.goRaw(.server, reason)
        ledger.goRaw(.client, reason)
    }

    /// A chunk size: hex digits, at most ``maxChunk``.
    private static func hex(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            default: return nil
            }
            guard value <= maxChunk >> 4 else { return nil }
            value = value << 4 | digit
        }
        return value
    }
}

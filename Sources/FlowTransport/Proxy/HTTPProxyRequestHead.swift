import NIOCore

/// The head of one HTTP/1 request sent to a proxy, parsed: request line and header fields up
/// to the empty line, at most ``maximumLength`` bytes.
///
/// What a proxy needs of it: the method, where it goes (`CONNECT host:port`, or an
/// absolute-form `http://host[:port]/path`), the request line rewritten in origin-form
/// (`GET /path HTTP/1.1`), and how its body is framed (`Content-Length`, chunked). Every byte is
/// hostile: lines are split in one pass, lengths are checked, and what is shown of the peer's
/// bytes is escaped.
struct HTTPProxyRequestHead: Equatable {
    /// The longest head read (request line and fields): larger is answered `431`.
    static let maximumLength = 64 * 1024

    /// How the request's body is framed.
    enum Body: Equatable {
        /// No body (no `Content-Length`, no `Transfer-Encoding`).
        case none
        /// `Content-Length` bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// Something a proxy cannot follow (another transfer coding, a protocol switch): what
        /// follows the head goes on as it is.
        case unknown
    }

    /// The method, e.g. `GET`, `CONNECT`.
    var method: String
    /// Where the request goes.
    var target: ProxyTarget
    /// For `CONNECT`, nil; otherwise the head to send to the target: the request line in
    /// origin-form, the header fields as they came, less those addressed to the proxy
    /// (`Proxy-Connection`, `Proxy-Authorization`: ``isProxyHopField(_:)``).
    var forwarded: ByteBuffer?
    /// How the body is framed.
    var body: Body
    /// The head's length in the bytes parsed (up to and including its empty line).
    var length: Int

    /// What ``parse(_:)`` found.
    enum Parse: Equatable {
        /// The head is not whole yet (and within ``maximumLength``).
        case needMore
        /// A head, ``HTTPProxyRequestHead/length`` bytes long.
        case head(HTTPProxyRequestHead)
        /// Not a request flowtap can proxy: `status` is the response code to answer with
        /// (400, 405, 431, 505), `reason` says why.
        case failed(status: Int, reason: String)
    }

    /// Parses the head at the start of `bytes` (only its readable bytes are looked at).
    /// `searchedBefore` is how many of them an earlier call saw without finding the head's end
    /// (the caller appends and calls again): the search for the empty line goes on from there,
    /// so a head that arrives a byte at a time costs linear time, not quadratic.
    static func parse(_ bytes: ByteBuffer, searchedBefore: Int = 0) -> Parse {
        let view = bytes.readableBytesView
        // The end of the head: an empty line (CRLF CRLF, or a bare LF LF); 3 bytes back from
        // where the last search stopped, so that an end cut across two calls is found.
        var end: Int?
        var index = view.startIndex + min(max(0, searchedBefore - 3), view.count)
        var previousLF = false
        while index < view.endIndex {
            let byte = view[index]
            if byte == 0x0A {
                if previousLF {
                    end = index + 1
                    break
                }
                previousLF = true
            } else if byte != 0x0D {
                previousLF = false
            }
            index += 1
            if index - view.startIndex > maximumLength { break }
        }
        guard let end else {
            if view.count > maximumLength {
                return .failed(status: 431, reason: "request head longer than \(maximumLength) bytes")
            }
            return .needMore
        }
        let head = Array(view[view.startIndex..<end])
        var lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else {
            return .failed(status: 400, reason: "empty request")
        }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            parts[0].allSatisfy(isTokenByte), parts[2].starts(with: "HTTP/1.".utf8), parts[2].count == 8
        else {
            return .failed(
                status: 400, reason: "not an HTTP/1 request line: \"\(ProxyTarget.escaped(requestLine))\"")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        var body = Body.none
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                if line.first == 0x20 || line.first == 0x09 { continue }
                return .failed(
                    status: 400, reason: "header line without a colon: \"\(ProxyTarget.escaped(line))\"")
            }
            let name = line[line.startIndex..<colon]
            let value = trimmed(line[(colon + 1)...])
            if equalsIgnoringCase(name, "content-length") {
                guard let count = decimal(value) else {
                    return .failed(
                        status: 400, reason: "bad Content-Length \"\(ProxyTarget.escaped(value))\"")
                }
                if case .length(let earlier) = body, earlier != count {
                    return .failed(status: 400, reason: "two different Content-Length fields")
                }
                if body == .none { body = .length(count) }
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                let last = value.split(separator: UInt8(ascii: ",")).last.map { trimmed($0) } ?? []
                body = equalsIgnoringCase(last, "chunked") ? .chunked : .unknown
            } else if equalsIgnoringCase(name, "upgrade") {
                body = .unknown
            }
        }
        let requestTarget = parts[1]
        if method == "CONNECT" {
            switch authority(requestTarget, defaultPort: nil) {
            case .success(let target):
                return .head(
                    HTTPProxyRequestHead(
                        method: method, target: target, forwarded: nil, body: .unknown, length: end))
            case .failure(let error):
                return .failed(status: 400, reason: "CONNECT: \(error.reason)")
            }
        }
        guard requestTarget.count > 7, equalsIgnoringCase(requestTarget.prefix(7), "http://") else {
            if equalsIgnoringCase(requestTarget.prefix(8), "https://") {
                return .failed(
                    status: 400, reason: "https:// requests go through CONNECT, not in absolute form")
            }
            return .failed(
                status: 400,
                reason:
                    "not a proxy request (expected CONNECT host:port or an absolute http:// URL, got \"\(ProxyTarget.escaped(requestTarget))\")"
            )
        }
        let afterScheme = requestTarget.dropFirst(7)
        let pathStart =
            afterScheme.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
            ?? afterScheme.endIndex
        let target: ProxyTarget
        switch authority(afterScheme[afterScheme.startIndex..<pathStart], defaultPort: 80) {
        case .success(let parsed): target = parsed
        case .failure(let error): return .failed(status: 400, reason: error.reason)
        }
        var path = Array(afterScheme[pathStart...])
        if path.first != UInt8(ascii: "/") { path.insert(UInt8(ascii: "/"), at: 0) }
        var forwarded = ByteBuffer()
        forwarded.reserveCapacity(end)
        forwarded.writeBytes(parts[0])
        forwarded.writeInteger(UInt8(0x20))
        forwarded.writeBytes(path)
        forwarded.writeInteger(UInt8(0x20))
        // The rest of the head as it came, line by line, less the fields meant for the proxy
        // alone (``isProxyHopField(_:)``) with their obsolete continuation lines.
        let lineEnd = head.firstIndex(of: 0x0A)!
        let version = head[(head.startIndex + parts[0].count + 1 + requestTarget.count + 1)...lineEnd]
        forwarded.writeBytes(version)
        var start = lineEnd + 1
        var dropping = false
        while start < head.endIndex {
            // The head ends with a LF, so every line has one.
            let lf = head[start...].firstIndex(of: 0x0A) ?? head.endIndex - 1
            let line = head[start...lf]
            if line.first != 0x20 && line.first != 0x09 {
                dropping =
                    line.firstIndex(of: UInt8(ascii: ":")).map { isProxyHopField(head[start..<$0]) } ?? false
            }
            if !dropping { forwarded.writeBytes(line) }
            start = lf + 1
        }
        return .head(
            HTTPProxyRequestHead(
                method: method, target: target, forwarded: forwarded, body: body, length: end))
    }

    /// `host:port`, `[v6]:port`, or with `defaultPort` a bare host; userinfo is refused.
    static func authority<C: Collection<UInt8>>(_ text: C, defaultPort: Int?) -> Result<
        ProxyTarget, ProxyHandshakeError
    > {
        let bytes = Array(text)
        if bytes.contains(UInt8(ascii: "@")) {
            return .failure(ProxyHandshakeError("credentials in the URL are not supported"))
        }
        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                return .failure(ProxyHandshakeError("missing \"]\" in \"\(ProxyTarget.escaped(bytes))\""))
            }
            host = bytes[1..<close]
            let after = bytes[(close + 1)...]
            if let first = after.first {
                guard first == UInt8(ascii: ":") else {
                    return .failure(ProxyHandshakeError("bad authority \"\(ProxyTarget.escaped(bytes))\""))
                }
                portText = after.dropFirst()
            }
        } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            host = bytes[..<colon]
            portText = bytes[(colon + 1)...]
        } else {
            host = bytes[...]
        }
        let port: Int
        if let portText {
            guard let number = decimal(portText), (1...65535).contains(number) else {
                return .failure(ProxyHandshakeError("bad port in \"\(ProxyTarget.escaped(bytes))\""))
            }
            port = number
        } else if let defaultPort {
            port = defaultPort
        } else {
            return .failure(
                ProxyHandshakeError("missing port in \"\(ProxyTarget.escaped(bytes))\" (expected host:port)"))
        }
        if host.isEmpty { return .failure(ProxyHandshakeError("empty host")) }
        guard host.allSatisfy({ (0x21..<0x7f).contains($0) }) else {
            return .failure(ProxyHandshakeError("bad target host \"\(ProxyTarget.escaped(host))\""))
        }
        return ProxyTarget.checked(host: String(decoding: host, as: UTF8.self), port: port)
    }

    /// Whether a header field of that name is addressed to the proxy and ends there (RFC 9110
    /// §7.6.1, §11.7.2): `Proxy-Connection` (the legacy hop-by-hop `Connection` of proxies) and
    /// `Proxy-Authorization` (the client's credentials for the proxy, never for the origin).
    static func isProxyHopField<C: Collection<UInt8>>(_ name: C) -> Bool {
        equalsIgnoringCase(name, "proxy-connection") || equalsIgnoringCase(name, "proxy-authorization")
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func trimmed<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        var slice = bytes[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ text: String) -> Bool {
        bytes.count == text.utf8.count
            && zip(bytes, text.utf8).allSatisfy { a, b in
                a == b || (a | 0x20 == b | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(a | 0x20))
            }
    }

    /// A decimal of 1 to 18 digits, nothing else.
    static func decimal<C: Collection<UInt8>>(_ bytes: C) -> Int? {
        guard (1...18).contains(bytes.count) else { return nil }
        var value = 0
        for byte in bytes {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}

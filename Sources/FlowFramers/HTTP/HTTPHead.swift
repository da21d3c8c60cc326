/// What the head (start line and header fields) of one HTTP/1 message says about its framing.
struct HTTPHead: Sendable {
    /// A request's method, as far as framing cares.
    enum Method: Sendable {
        case head
        case connect
        case other
    }

    /// The start line, escaped and bounded: the summary.
    var summary = SummaryBuilder()
    var method = Method.other
    /// A response's status code.
    var status = 0
    var contentLength: Int?
    var hasTransferEncoding = false
    /// Whether the last transfer coding is `chunked`.
    var isChunked = false
    /// Whether the request asks for a protocol switch (an `Upgrade` field).
    var wantsUpgrade = false

    static let maxContentLength = 1 << 62

    /// Reads a request line (`METHOD TARGET HTTP/x.y`); returns why it is not one.
    mutating func readRequestLine(_ line: ArraySlice<UInt8>) -> String? {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte), !parts[1].isEmpty
        else { return "not an HTTP request line: \(SummaryText.escape(line.prefix(60)))" }
        if let reason = Self.checkVersion(parts[2]) { return reason }
        summary.append(bytes: line)
        if parts[0].elementsEqual("HEAD".utf8) {
            method = .head
        } else if parts[0].elementsEqual("CONNECT".utf8) {
            method = .connect
        }
        return nil
    }

    /// Reads a status line (`HTTP/x.y NNN reason`); returns why it is not one.
    mutating func readStatusLine(_ line: ArraySlice<UInt8>) -> String? {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].count == 3, let code = ByteParsing.decimal(parts[1], max: 999),
            code >= 100
        else { return "not an HTTP status line: \(SummaryText.escape(line.prefix(60)))" }
        if let reason = Self.checkVersion(parts[0]) { return reason }
        summary.append(bytes: line)
        status = code
        return nil
    }

    /// Reads one header field line; returns why it is not one.
    mutating func readField(_ line: ArraySlice<UInt8>) -> String? {
        guard let first = line.first else { return nil }
        if first == 0x20 || first == 0x09 { return nil }  // an obsolete folded line: ignored
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return "HTTP header line without a colon: \(SummaryText.escape(line.prefix(60)))"
        }
        let name = ByteParsing.trimmed(line[line.startIndex..<colon])
        let value = ByteParsing.trimmed(line[(colon + 1)...])
        if ByteParsing.equalsIgnoringCase(name, "content-length") {
            for item in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard let length = ByteParsing.decimal(ByteParsing.trimmed(item), max: Self.maxContentLength),
                    contentLength == nil || contentLength == length
                else { return "invalid Content-Length: \(SummaryText.escape(value.prefix(40)))" }
                contentLength = length
            }
        } else if ByteParsing.equalsIgnoringCase(name, "transfer-encoding") {
            hasTransferEncoding = true
            let codings = value.split(separator: UInt8(ascii: ","))
            if let last = codings.last {
                isChunked = ByteParsing.equalsIgnoringCase(ByteParsing.trimmed(last), "chunked")
            }
        } else if ByteParsing.equalsIgnoringCase(name, "upgrade") {
            wantsUpgrade = true
        }
        return nil
    }

    private static func checkVersion(_ version: ArraySlice<UInt8>) -> String? {
        let bytes = Array(version)
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
            (0x30...0x39).contains(bytes[5]), (0x30...0x39).contains(bytes[7])
        else { return "not an HTTP version: \(SummaryText.escape(version.prefix(20)))" }
        guard bytes[5] == UInt8(ascii: "1") else {
            return "\(SummaryText.escape(bytes)) is not HTTP/1.x"
        }
        return nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

import NIOCore

/// The responses an HTTP proxy listener writes itself (everything else comes from targets).
enum HTTPProxyResponses {
    /// `HTTP/1.1 200 Connection established`: the tunnel of a `CONNECT` is open.
    static var connectEstablished: ByteBuffer {
        ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
    }

    /// `502 Bad Gateway` with `reason` as its plain-text body, closing the connection.
    static func badGateway(_ reason: String) -> ByteBuffer {
        response(status: 502, reason)
    }

    /// A response with `status` and `reason` (one line of printable text) as its body, and
    /// `Connection: close`.
    static func response(status: Int, _ reason: String) -> ByteBuffer {
        let phrase =
            switch status {
            case 400: "Bad Request"
            case 405: "Method Not Allowed"
            case 408: "Request Timeout"
            case 431: "Request Header Fields Too Large"
            case 502: "Bad Gateway"
            default: "Error"
            }
        let body = "flowtap: \(reason)\n"
        return ByteBuffer(
            string: "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }
}

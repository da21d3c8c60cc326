/// What flowtap needs from a TLS ClientHello before answering it: the server name the client
/// asked for (SNI) and the application protocols it offers (ALPN), so that the upstream
/// connection can be made with the same, and the client answered with the server's choice.
///
/// ``parse(_:)`` reads the first bytes a client sent; it is a parser of hostile input: every
/// length is checked against what is there, the handshake message is bounded
/// (``maximumMessageLength``), and it runs in time linear in its input.
public struct ClientHello: Sendable, Equatable {
    /// The `host_name` of the server_name extension, when the client sent one (printable ASCII
    /// only, at most 255 bytes; another name is an error).
    public var serverName: String?
    /// The ALPN protocol names offered, in the client's order; names that are not printable
    /// ASCII are left out (they could not be offered on again). Empty without the extension.
    public var applicationProtocols: [String]

    /// A ClientHello with these fields.
    public init(serverName: String?, applicationProtocols: [String]) {
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
    }

    /// The longest ClientHello handshake message read (64 KiB); a longer one is refused.
    public static let maximumMessageLength = 65536
    /// The most records a ClientHello may be split into.
    public static let maximumRecords = 64
    /// Where ``parse(_:)`` got to.
    public enum Progress: Sendable, Equatable {
        /// The whole ClientHello was read.
        case complete(ClientHello)
        /// The bytes end before the ClientHello does: call again once there are at least this
        /// many in all.
        case needMore(Int)
    }
    /// The most ALPN names kept.
    public static let maximumProtocols = 64

    /// Parses the start of a client's stream.
    ///
    /// - Returns: ``Progress/complete(_:)`` once the bytes hold all of it;
    ///   ``Progress/needMore(_:)`` with the byte count to wait for before calling again (with
    ///   everything so far). Calls are then at most two per record, and records at most
    ///   ``maximumRecords``: linear time in all.
    /// - Throws: ``ClientHelloError`` saying what is wrong: not TLS (with a hint when it looks
    ///   like plaintext, such as an HTTP request), not a ClientHello, a length past its bound,
    ///   a malformed extension.
    public static func parse(_ bytes: [UInt8]) throws(ClientHelloError) -> Progress {
        var message: [UInt8] = []
        var messageLength: Int?
        var position = 0
        var records = 0
        while true {
            if let length = messageLength, message.count >= 4 + length {
                return .complete(try parseBody(message[4..<(4 + length)]))
            }
            guard bytes.count - position >= 5 else { return .needMore(position + 5) }
            records += 1
            guard records <= maximumRecords else {
                throw ClientHelloError("a ClientHello split into more than \(maximumRecords) records")
            }
            let type = bytes[position]
            if type != 22 {
                if position == 0 { throw notTLS(bytes) }
                throw ClientHelloError("a record of type \(type) in the middle of the ClientHello")
            }
            guard bytes[position + 1] == 3 else {
                throw position == 0
                    ? notTLS(bytes) : ClientHelloError("a record with version \(bytes[position + 1]).x")
            }
            let recordLength = Int(bytes[position + 3]) << 8 | Int(bytes[position + 4])
            guard recordLength > 0, recordLength <= 16384 else {
                throw ClientHelloError("a handshake record of \(recordLength) bytes (1 to 16384)")
            }
            guard bytes.count - position - 5 >= recordLength else {
                return .needMore(position + 5 + recordLength)
            }
            message += bytes[(position + 5)..<(position + 5 + recordLength)]
            position += 5 + recordLength
            if messageLength == nil && message.count >= 4 {
                guard message[0] == 1 else {
                    throw ClientHelloError(
                        "the first handshake message is of type \(message[0]), not a ClientHello")
                }
                let length = Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3])
                guard length <= maximumMessageLength else {
                    throw ClientHelloError(
                        "a ClientHello of \(length) bytes (at most \(maximumMessageLength))")
                }
                messageLength = length
            }
            if let length = messageLength, message.count > 4 + length {
                // Further handshake messages in the same records: a client never sends any before
                // the server's answer, but what is past the ClientHello is simply not read.
                message.removeLast(message.count - 4 - length)
            }
            if message.count > 4 + maximumMessageLength {
                throw ClientHelloError("a ClientHello longer than \(maximumMessageLength) bytes")
            }
        }
    }

    private static func notTLS(_ bytes: [UInt8]) -> ClientHelloError {
        let printable = bytes.prefix(16).allSatisfy { (0x20...0x7e).contains($0) || $0 == 0x0d || $0 == 0x0a }
        if printable && !bytes.isEmpty {
            let start = String(
                decoding: bytes.prefix(12).filter { (0x20...0x7e).contains($0) }, as: UTF8.self)
            return ClientHelloError(
                "the client sent plaintext (\"\(start)…\"), not TLS: connect with TLS, or listen with tcp-listen:"
            )
        }
        return ClientHelloError(
            "the client's first bytes are not a TLS handshake (0x\(bytes.prefix(3).map { String($0, radix: 16) }.joined(separator: " 0x")))"
        )
    }

    private static func parseBody(_ body: ArraySlice<UInt8>) throws(ClientHelloError) -> ClientHello {
        var reader = Reader(bytes: body)
        _ = try reader.take(2, "version")
        _ = try reader.take(32, "random")
        let sessionID = try reader.byte("session id length")
        guard sessionID <= 32 else {
            throw ClientHelloError("a session id of \(sessionID) bytes (at most 32)")
        }
        _ = try reader.take(Int(sessionID), "session id")
        let suites = try reader.uint16("cipher suites length")
        _ = try reader.take(suites, "cipher suites")
        let compressions = try reader.byte("compression methods length")
        _ = try reader.take(Int(compressions), "compression methods")
        var hello = ClientHello(serverName: nil, applicationProtocols: [])
        if reader.isAtEnd { return hello }
        let extensionsLength = try reader.uint16("extensions length")
        var extensions = Reader(bytes: try reader.take(extensionsLength, "extensions"))
        var seenSNI = false
        var seenALPN = false
        while !extensions.isAtEnd {
            let type = try extensions.uint16("extension type")
            let length = try extensions.uint16("extension length")
            let data = try extensions.take(length, "extension \(type)")
            switch type {
            case 0:
                guard !seenSNI else { throw ClientHelloError("two server_name extensions") }
                seenSNI = true
                hello.serverName = try serverName(data)
            case 16:
                guard !seenALPN else { throw ClientHelloError("two ALPN extensions") }
                seenALPN = true
                hello.applicationProtocols = try protocols(data)
            default: break
            }
        }
        return hello
    }

    private static func serverName(_ data: ArraySlice<UInt8>) throws(ClientHelloError) -> String? {
        var reader = Reader(bytes: data)
        if reader.isAtEnd { return nil }  // an empty server_name (a server's echo): no name
        let listLength = try reader.uint16("server name list length")
        var list = Reader(bytes: try reader.take(listLength, "server name list"))
        var name: String?
        while !list.isAtEnd {
            let kind = try list.byte("server name type")
            let length = try list.uint16("server name length")
            let bytes = try list.take(length, "server name")
            guard kind == 0, name == nil else { continue }
            guard !bytes.isEmpty, bytes.count <= 255, bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                throw ClientHelloError("a server name that is not printable ASCII of 1 to 255 bytes")
            }
            name = String(decoding: bytes, as: UTF8.self)
        }
        return name
    }

    private static func protocols(_ data: ArraySlice<UInt8>) throws(ClientHelloError) -> [String] {
        var reader = Reader(bytes: data)
        let listLength = try reader.uint16("ALPN list length")
        var list = Reader(bytes: try reader.take(listLength, "ALPN list"))
        var names: [String] = []
        while !list.isAtEnd {
            let length = try list.byte("ALPN name length")
            guard length > 0 else { throw ClientHelloError("an empty ALPN protocol name") }
            let bytes = try list.take(Int(length), "ALPN name")
            if names.count < maximumProtocols, bytes.allSatisfy({ (0x21...0x7e).contains($0) }) {
                names.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return names
    }

    /// Bounds-checked reads over a slice.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        var isAtEnd: Bool { bytes.isEmpty }

        mutating func take(_ count: Int, _ what: String) throws(ClientHelloError) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count >= count else {
                throw ClientHelloError("the \(what) runs past its enclosing length")
            }
            let taken = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return taken
        }

        mutating func byte(_ what: String) throws(ClientHelloError) -> UInt8 {
            try take(1, what).first!
        }

        mutating func uint16(_ what: String) throws(ClientHelloError) -> Int {
            let pair = try take(2, what)
            return Int(pair[pair.startIndex]) << 8 | Int(pair[pair.startIndex + 1])
        }
    }
}

import NIOCore
import NIOSOCKS

/// The server side of a SOCKS5 handshake (RFC 1928) as a pure parser: bytes from the client
/// in, the replies to send and the request out. It reads the messages itself, in one pass over
/// the bytes held (no channel, no allocation beyond them): each session pays for a few bytes'
/// work, not for a pipeline. NIOSOCKS (swift-nio-extras) names the reply codes; the messages'
/// layout and its errors are NIOSOCKS's too (a byte that breaks the layout is refused as soon as
/// it arrives, whatever follows). ``ProxyHandshake`` feeds it what it reads, and the fuzz target
/// feeds it anything.
///
/// Offered: no authentication, the CONNECT command, IPv4, IPv6 and domain-name targets. A
/// greeting without "no authentication" is answered `05 FF` (no acceptable method); BIND and
/// UDP ASSOCIATE are answered reply 7 (command not supported), an unknown address type reply 8
/// (address type not supported), a bad reserved byte or host reply 1 (general failure). Each
/// is then a ``ProxyHandshakeError``. At most ``maximumHandshakeBytes`` are read for the
/// handshake (a greeting and a request are at most 514 bytes); bytes the client sent after
/// its request are kept for the session (``Outcome/request(_:leftover:)``).
///
/// Not thread-safe: one task owns a parser.
final class SOCKS5ServerParser {
    /// What one ``feed(_:)`` leads to.
    enum Outcome {
        /// Nothing to do yet: the client's message is not whole.
        case needMore
        /// Send `reply` (the method selection), then read on.
        case reply(ByteBuffer)
        /// The client asked to CONNECT to `target`; `leftover` holds the bytes it sent after
        /// the request (usually none: a client waits for the reply).
        case request(ProxyTarget, leftover: ByteBuffer)
        /// The handshake failed: send `reply` (when not empty), then FIN.
        case failed(ProxyHandshakeError, reply: ByteBuffer)
    }

    /// The most bytes read before the request must be whole.
    static let maximumHandshakeBytes = 1024

    /// Every byte fed, up to the request's end and what follows it.
    private var fed = ByteBuffer()
    /// Bytes of `fed` taken by the greeting once it was parsed (0 before).
    private var greetingLength = 0
    private var done = false
    /// The outcome of a request that arrived with the greeting (see ``pendingRequest``).
    private var pending: Outcome?

    init() {}

    /// Whether the request (or a malformed one) arrived together with the greeting:
    /// ``pendingOutcome()`` returns it.
    var pendingRequest: Bool { pending != nil }

    /// Feeds the next bytes read from the client. After `.request` or `.failed`, further calls
    /// return `.failed`.
    func feed(_ bytes: ByteBuffer) -> Outcome {
        guard !done else {
            return .failed(ProxyHandshakeError("SOCKS5: handshake already over"), reply: ByteBuffer())
        }
        fed.writeImmutableBuffer(bytes)
        let outcome = greetingLength == 0 ? greeting() : request()
        if case .needMore = outcome, fed.readableBytes > Self.maximumHandshakeBytes {
            return finish(
                ProxyHandshakeError("SOCKS5: handshake longer than \(Self.maximumHandshakeBytes) bytes"),
                reply: [])
        }
        return outcome
    }

    /// The request that arrived together with the greeting (see ``pendingRequest``).
    func pendingOutcome() -> Outcome {
        defer { pending = nil }
        return pending ?? .needMore
    }

    /// `VER NMETHODS METHODS…`, at the start of what was fed.
    private func greeting() -> Outcome {
        let view = fed.readableBytesView
        guard let version = view.first else { return .needMore }
        guard version == 5 else { return notVersion5(version) }
        guard view.count >= 2 else { return .needMore }
        let count = Int(view[view.startIndex + 1])
        guard view.count >= 2 + count else { return .needMore }
        let methods = view[(view.startIndex + 2)..<(view.startIndex + 2 + count)]
        greetingLength = 2 + count
        guard methods.contains(AuthenticationMethod.noneRequired.value) else {
            let offered = methods.map { String($0) }.joined(separator: ", ")
            return finish(
                ProxyHandshakeError(
                    "SOCKS5: no acceptable authentication method (offered: \(offered.isEmpty ? "none" : offered); flowtap offers no authentication)"
                ),
                reply: [0x05, 0xFF])
        }
        // A client may send its request with its greeting: the caller sends the selection
        // first, then answers the request (``pendingOutcome()``).
        let next = request()
        if case .needMore = next {} else { pending = next }
        return .reply(ByteBuffer(bytes: [0x05, AuthenticationMethod.noneRequired.value]))
    }

    /// `VER CMD RSV ATYP DST.ADDR DST.PORT`, after the greeting. Each byte is checked as soon as
    /// it is there, as NIOSOCKS does.
    private func request() -> Outcome {
        let view = fed.readableBytesView
        let start = view.startIndex + greetingLength
        let available = view.endIndex - start
        func byte(_ offset: Int) -> UInt8? { offset < available ? view[start + offset] : nil }
        guard let version = byte(0) else { return .needMore }
        guard version == 5 else { return notVersion5(version) }
        guard let command = byte(1), let reserved = byte(2) else { return .needMore }
        guard reserved == 0 else {
            return finish(
                ProxyHandshakeError("SOCKS5: reserved byte is \(reserved), not 0"),
                reply: Self.failureReply(.serverFailure))
        }
        guard let type = byte(3) else { return .needMore }
        let host: String
        let length: Int
        switch type {
        case 0x01, 0x04:
            let size = type == 0x01 ? 4 : 16
            length = 4 + size + 2
            guard available >= length else { return .needMore }
            let packed = fed.getSlice(at: fed.readerIndex + greetingLength + 4, length: size)!
            guard let address = try? SocketAddress(packedIPAddress: packed, port: 0),
                let ip = address.ipAddress
            else {
                return finish(
                    ProxyHandshakeError("SOCKS5: bad target address"),
                    reply: Self.failureReply(.addressUnsupported))
            }
            host = ip
        case 0x03:
            guard let count = byte(4) else { return .needMore }
            length = 4 + 1 + Int(count) + 2
            guard available >= length else { return .needMore }
            host = String(decoding: view[(start + 5)..<(start + 5 + Int(count))], as: UTF8.self)
        default:
            return finish(
                ProxyHandshakeError("SOCKS5: unsupported address type \(type)"),
                reply: Self.failureReply(.addressUnsupported))
        }
        let port = Int(view[start + length - 2]) << 8 | Int(view[start + length - 1])
        guard command == SOCKSCommand.connect.value else {
            let name =
                switch SOCKSCommand(value: command) {
                case .bind: " (BIND)"
                case .udpAssociate: " (UDP ASSOCIATE)"
                default: ""
                }
            return finish(
                ProxyHandshakeError("SOCKS5: unsupported command \(command)\(name); flowtap offers CONNECT"),
                reply: Self.failureReply(.commandUnsupported))
        }
        let target: ProxyTarget
        switch ProxyTarget.checked(host: host, port: port) {
        case .success(let checked): target = checked
        case .failure(let error):
            return finish(
                ProxyHandshakeError("SOCKS5: \(error.reason)"), reply: Self.failureReply(.serverFailure))
        }
        done = true
        let consumed = greetingLength + length
        let leftover =
            fed.getSlice(at: fed.readerIndex + consumed, length: fed.readableBytes - consumed) ?? ByteBuffer()
        return .request(target, leftover: leftover)
    }

    /// A version byte that is not 5: nothing to answer in the greeting (the client may speak
    /// SOCKS4, whose replies differ), a general failure in the request.
    private func notVersion5(_ version: UInt8) -> Outcome {
        finish(
            ProxyHandshakeError("SOCKS5: not SOCKS version 5 (version byte \(version))"),
            reply: greetingLength > 0 ? Self.failureReply(.serverFailure) : ByteBuffer())
    }

    /// The reply to a request that succeeded, naming `bound` (the address flowtap connected
    /// from; the unspecified IPv4 address when unknown).
    static func successReply(bound: SocketAddress?) -> ByteBuffer {
        reply(.succeeded, bound: bound)
    }

    /// The reply to a request that failed with `reply`.
    static func failureReply(_ reply: SOCKSServerReply) -> ByteBuffer {
        Self.reply(reply, bound: nil)
    }

    /// `VER REP RSV ATYP BND.ADDR BND.PORT`, encoded as RFC 1928 §6 says (written here rather
    /// than through the handler: its state machine refuses a reply after an error).
    private static func reply(_ reply: SOCKSServerReply, bound: SocketAddress?) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeBytes([0x05, reply.value, 0x00])
        switch bound {
        case .v6(let address)?:
            out.writeInteger(UInt8(0x04))
            _ = withUnsafeBytes(of: address.address.sin6_addr) { out.writeBytes($0) }
            out.writeInteger(UInt16(bound?.port ?? 0))
        case .v4(let address)?:
            out.writeInteger(UInt8(0x01))
            _ = withUnsafeBytes(of: address.address.sin_addr) { out.writeBytes($0) }
            out.writeInteger(UInt16(bound?.port ?? 0))
        default:
            out.writeBytes([0x01, 0, 0, 0, 0, 0, 0])
        }
        return out
    }

    private func finish(_ error: ProxyHandshakeError, reply: ByteBuffer) -> Outcome {
        done = true
        return .failed(error, reply: reply)
    }

    private func finish(_ error: ProxyHandshakeError, reply: [UInt8]) -> Outcome {
        finish(error, reply: ByteBuffer(bytes: reply))
    }
}

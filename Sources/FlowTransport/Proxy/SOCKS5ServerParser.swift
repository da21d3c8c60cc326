import NIOCore
import NIOEmbedded
import NIOSOCKS

/// The server side of a SOCKS5 handshake (RFC 1928) as a pure parser: bytes from the client
/// in, the replies to send and the request out. NIOSOCKS's `SOCKSServerHandshakeHandler` (its
/// message parsing and server state machine) does the work, driven in an `EmbeddedChannel`,
/// so no socket is involved: ``ProxyHandshake`` feeds it what it reads, and the fuzz target
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

    private let channel = EmbeddedChannel()
    /// The messages the handler decoded so far (the channel's inbound end collects them).
    private var received: [ClientMessage] = []
    /// Every byte fed, up to the request's end and what follows it.
    private var fed = ByteBuffer()
    /// Bytes of `fed` taken by the greeting once it was parsed.
    private var greetingLength = 0
    private var done = false

    init() {
        // Both handlers are added to an EmbeddedChannel, which runs them synchronously.
        try! channel.pipeline.syncOperations.addHandler(SOCKSServerHandshakeHandler())
    }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// Feeds the next bytes read from the client. After `.request` or `.failed`, further calls
    /// return `.failed`.
    func feed(_ bytes: ByteBuffer) -> Outcome {
        guard !done else {
            return .failed(ProxyHandshakeError("SOCKS5: handshake already over"), reply: ByteBuffer())
        }
        fed.writeImmutableBuffer(bytes)
        let before = received.count
        do {
            try channel.writeInbound(bytes)
            try collect()
        } catch {
            return fail(error)
        }
        return next(after: before)
    }

    /// Takes the messages the handler passed on from the channel's inbound end.
    private func collect() throws {
        while let message = try channel.readInbound(as: ClientMessage.self) { received.append(message) }
    }

    /// Looks at the message the handler produced, if any.
    private func next(after count: Int) -> Outcome {
        guard received.count > count, let message = received.last else {
            if fed.readableBytes > Self.maximumHandshakeBytes {
                return finish(
                    ProxyHandshakeError("SOCKS5: handshake longer than \(Self.maximumHandshakeBytes) bytes"),
                    reply: [])
            }
            return .needMore
        }
        switch message {
        case .greeting(let greeting):
            greetingLength = 2 + greeting.methods.count
            guard greeting.methods.contains(.noneRequired) else {
                let offered = greeting.methods.map { String($0.value) }.joined(separator: ", ")
                _ = try? channel.writeOutbound(
                    ServerMessage.selectedAuthenticationMethod(.init(method: .noneAcceptable)))
                return finish(
                    ProxyHandshakeError(
                        "SOCKS5: no acceptable authentication method (offered: \(offered.isEmpty ? "none" : offered); flowtap offers no authentication)"
                    ),
                    reply: [0x05, 0xFF])
            }
            var reply = ByteBuffer()
            do {
                try channel.writeOutbound(
                    ServerMessage.selectedAuthenticationMethod(.init(method: .noneRequired)))
                while let part = try channel.readOutbound(as: ByteBuffer.self) {
                    var part = part
                    reply.writeBuffer(&part)
                }
            } catch {
                return fail(error)
            }
            // A client may send its request with its greeting: the handler keeps it buffered
            // until the next read, which an empty one stands for. The caller sends the
            // selection first, then answers the request (``pendingOutcome()``).
            let before = received.count
            do {
                try channel.writeInbound(ByteBuffer())
                try collect()
                pendingRequest = received.count > before
            } catch {
                pendingError = error
                pendingRequest = true
            }
            return .reply(reply)
        case .request(let request):
            return answer(request)
        case .authenticationData:
            return finish(ProxyHandshakeError("SOCKS5: unexpected authentication data"), reply: [])
        }
    }

    /// Whether the request arrived with the greeting: ``pendingOutcome()`` returns it.
    private(set) var pendingRequest = false
    /// Why the request that came with the greeting is malformed.
    private var pendingError: (any Error)?

    /// The request that arrived together with the greeting (see ``pendingRequest``).
    func pendingOutcome() -> Outcome {
        pendingRequest = false
        if let pendingError {
            self.pendingError = nil
            return fail(pendingError)
        }
        guard case .request(let request)? = received.last else { return .needMore }
        return answer(request)
    }

    private func answer(_ request: SOCKSRequest) -> Outcome {
        guard request.command == .connect else {
            let name =
                switch request.command {
                case .bind: " (BIND)"
                case .udpAssociate: " (UDP ASSOCIATE)"
                default: ""
                }
            return finish(
                ProxyHandshakeError(
                    "SOCKS5: unsupported command \(request.command.value)\(name); flowtap offers CONNECT"),
                reply: Self.failureReply(.commandUnsupported))
        }
        let host: String
        let port: Int
        var length = 4
        switch request.addressType {
        case .address(let address):
            guard let ip = address.ipAddress, let addressPort = address.port else {
                return finish(
                    ProxyHandshakeError("SOCKS5: bad target address"),
                    reply: Self.failureReply(.addressUnsupported))
            }
            host = ip
            port = addressPort
            length += (address.protocol == .inet6 ? 16 : 4) + 2
        case .domain(let name, let namePort):
            host = name
            port = namePort
            length += 1 + name.utf8.count + 2
        }
        let target: ProxyTarget
        switch ProxyTarget.checked(host: host, port: port) {
        case .success(let checked): target = checked
        case .failure(let error):
            return finish(
                ProxyHandshakeError("SOCKS5: \(error.reason)"), reply: Self.failureReply(.serverFailure))
        }
        done = true
        // The bytes after the greeting and the request: the host was ASCII (checked), so its
        // decoded length is its length on the wire.
        let consumed = greetingLength + length
        let leftover =
            fed.getSlice(at: fed.readerIndex + consumed, length: max(0, fed.readableBytes - consumed))
            ?? ByteBuffer()
        return .request(target, leftover: leftover)
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

    /// Maps a NIOSOCKS parse error to the reply the client gets.
    private func fail(_ error: any Error) -> Outcome {
        let inRequest = greetingLength > 0
        switch error {
        case let error as SOCKSError.InvalidProtocolVersion:
            return finish(
                ProxyHandshakeError("SOCKS5: not SOCKS version 5 (version byte \(error.actual))"),
                reply: inRequest ? Self.failureReply(.serverFailure) : ByteBuffer())
        case let error as SOCKSError.InvalidAddressType:
            return finish(
                ProxyHandshakeError("SOCKS5: unsupported address type \(error.actual)"),
                reply: Self.failureReply(.addressUnsupported))
        case let error as SOCKSError.InvalidReservedByte:
            return finish(
                ProxyHandshakeError("SOCKS5: reserved byte is \(error.actual), not 0"),
                reply: Self.failureReply(.serverFailure))
        default:
            return finish(
                ProxyHandshakeError("SOCKS5: malformed handshake (\(error))"),
                reply: inRequest ? Self.failureReply(.serverFailure) : ByteBuffer())
        }
    }

    private func finish(_ error: ProxyHandshakeError, reply: ByteBuffer) -> Outcome {
        done = true
        return .failed(error, reply: reply)
    }

    private func finish(_ error: ProxyHandshakeError, reply: [UInt8]) -> Outcome {
        finish(error, reply: ByteBuffer(bytes: reply))
    }
}

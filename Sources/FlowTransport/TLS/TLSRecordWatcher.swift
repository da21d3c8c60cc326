import NIOCore

/// The first handler of a TLS connection's pipeline during its handshake (next to the socket,
/// below NIOSSL): reads the cipher suite out of the ServerHello as it passes (inbound when
/// flowtap is the client, outbound when it is the server; swift-nio-ssl does not tell it).
/// ``TLSSessionHandler`` removes it once the handshake is done.
///
/// It looks at no more than the first 512 bytes of the watched direction; it never changes a byte.
final class TLSRecordWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Whether the ServerHello comes in (flowtap is the TLS client) or goes out.
    private let watchesInbound: Bool
    private var seen: [UInt8] = []
    private var done = false
    /// The cipher suite of the ServerHello, once seen.
    private(set) var cipherSuite: UInt16?

    private static let limit = 512

    init(watchesInbound: Bool) {
        self.watchesInbound = watchesInbound
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if watchesInbound && !done { look(at: unwrapInboundIn(data)) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !watchesInbound && !done { look(at: unwrapOutboundIn(data)) }
        context.write(data, promise: promise)
    }

    private func look(at buffer: ByteBuffer) {
        seen += buffer.readableBytesView.prefix(Self.limit - seen.count)
        switch Self.serverHelloCipher(seen) {
        case .some(let suite):
            cipherSuite = suite
            done = true
        case .none:
            if seen.count >= Self.limit { done = true }
        }
    }

    /// The cipher suite of a ServerHello at the start of `bytes`; nil while not enough is there
    /// (or when it is not a ServerHello: then the 512-byte limit ends the watch).
    static func serverHelloCipher(_ bytes: [UInt8]) -> UInt16? {
        // record: type 22, version (2), length (2); handshake: type 2, length (3);
        // server_hello: version (2), random (32), session id (1 + n), cipher suite (2).
        guard bytes.count >= 44, bytes[0] == 22, bytes[5] == 2 else { return nil }
        let sessionID = Int(bytes[43])
        guard sessionID <= 32, bytes.count >= 46 + sessionID else { return nil }
        return UInt16(bytes[44 + sessionID]) << 8 | UInt16(bytes[45 + sessionID])
    }
}

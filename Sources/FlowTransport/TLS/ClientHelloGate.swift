import NIOCore

/// The handler an accepted `tls-listen:` connection starts with: it holds every byte the client
/// sends (nothing reaches the flow), reads the ClientHello out of them (``ClientHello``), and,
/// when removed (once NIOSSL is in place behind it), hands the held bytes on, then the end of
/// input if it came meanwhile.
///
/// At most ``limit`` bytes are held: a client that sends more before its handshake is answered
/// is cut off.
final class ClientHelloGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The most bytes held before the TLS handshake begins.
    static let limit = 256 * 1024

    private let hello: EventLoopPromise<ClientHello>
    private var held: [ByteBuffer] = []
    private var bytes: [UInt8] = []
    private var heldCount = 0
    private var needed = 5
    private var resolved = false
    private var inputClosed = false

    init(hello: EventLoopPromise<ClientHello>) {
        self.hello = hello
    }

    /// The ClientHello, or why there is none.
    var helloResult: EventLoopFuture<ClientHello> { hello.futureResult }

    /// In a child channel initializer of `tls-listen:`: puts a ``TLSRecordWatcher`` (outbound:
    /// flowtap will send the ServerHello) and a gate in the pipeline, before the flow's handler.
    static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let gate = ClientHelloGate(hello: channel.eventLoop.makePromise(of: ClientHello.self))
            try channel.pipeline.syncOperations.addHandlers([TLSRecordWatcher(watchesInbound: false), gate])
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        held.append(buffer)
        heldCount += buffer.readableBytes
        if heldCount > Self.limit {
            fail(
                ClientHelloError(
                    "the client sent more than \(Self.limit) bytes before its handshake was answered"))
            context.close(promise: nil)
            return
        }
        guard !resolved else { return }
        bytes += buffer.readableBytesView
        guard bytes.count >= needed else { return }
        do {
            switch try ClientHello.parse(bytes) {
            case .complete(let parsed):
                resolved = true
                bytes = []
                hello.succeed(parsed)
            case .needMore(let count):
                needed = count
            }
        } catch {
            fail(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            fail(ClientHelloError("the client closed the connection before its ClientHello was whole"))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(
            ClientHelloError(
                "the connection failed before the ClientHello: \(ErrorText.socketFailure(error)?.message ?? "\(error)")"
            ))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ClientHelloError("the client closed the connection before its ClientHello was whole"))
        context.fireChannelInactive()
    }

    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        fail(ClientHelloError("TLS started before the ClientHello was whole"))
        let pending = held
        held = []
        for buffer in pending { context.fireChannelRead(wrapInboundOut(buffer)) }
        if !pending.isEmpty { context.fireChannelReadComplete() }
        if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.leavePipeline(removalToken: removalToken)
    }

    private func fail(_ error: ClientHelloError) {
        guard !resolved else { return }
        resolved = true
        hello.fail(error)
    }
}

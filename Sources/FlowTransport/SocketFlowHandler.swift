import NIOCore

/// The one handler in a ``SocketFlow``'s pipeline: hands inbound bytes, end-of-file and errors to
/// the ``SocketFlowCore``, and holds back the channel's socket reads while the core's queue is
/// over its high watermark (the same pattern as NIO's `BackPressureHandler`).
final class SocketFlowHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: SocketFlowCore
    private let onActive: (@Sendable () -> Void)?

    /// `onActive` runs once the channel is active (for accepted connections: when the
    /// flow may be handed out).
    init(core: SocketFlowCore, onActive: (@Sendable () -> Void)? = nil) {
        self.core = core
        self.onActive = onActive
    }

    func channelActive(context: ChannelHandlerContext) {
        onActive?()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            core.inputEnded()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Consumed here: the core reports it to the reader (and to writers once NIO closes).
        core.caughtError(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.becameInactive()
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if core.shouldHoldRead() { return }
        context.read()
    }
}

import NIOCore

/// Passes everything on, and calls `first` once, at the first bytes or end of input that come.
final class FirstInboundWatch: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let first: @Sendable () -> Void

    init(_ first: @escaping @Sendable () -> Void) {
        self.first = first
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        first()
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { first() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        first()
        context.fireChannelInactive()
    }
}

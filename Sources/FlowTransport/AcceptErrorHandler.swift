import NIOCore

/// On a listening channel: passes accept failures (e.g. too many open files) on to
/// ``Listener/accept()`` through the ``AcceptQueue``, then on down the pipeline.
final class AcceptErrorHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let queue: AcceptQueue
    private let action: String

    init(queue: AcceptQueue, action: String) {
        self.queue = queue
        self.action = action
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (reason, code) = ErrorText.setupFailure(error)
        queue.push(TransportError(action: action, reason: reason, errno: code))
        context.fireErrorCaught(error)
    }
}

import NIOCore

/// On a listening channel: passes accept failures (e.g. too many open files) on to
/// ``Listener/accept()`` through the ``AcceptQueue`` and stops reading the socket until the
/// next `accept()` call, and stops accepting while the queue of connections nobody took yet is
/// full (the kernel's backlog then holds new clients).
final class ListenerHandler: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never

    private let queue: AcceptQueue
    private let action: String

    init(queue: AcceptQueue, action: String) {
        self.queue = queue
        self.action = action
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (reason, code) = ErrorText.setupFailure(error)
        // After a failed accept (EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED) NIO keeps the
        // socket registered for reading, and would fail again at once, in a loop on the event
        // loop. Auto-read off unregisters it; the next accept() call turns it back on.
        if context.channel.isActive, let options = context.channel.syncOptions {
            do {
                try options.setOption(.autoRead, value: false)
            } catch {
                context.fireErrorCaught(error)
            }
        }
        queue.push(TransportError(action: action, reason: reason, errno: code))
        context.fireErrorCaught(error)
    }

    func read(context: ChannelHandlerContext) {
        if queue.shouldHoldAccepting() { return }
        context.read()
    }
}

// bare-nio-proxy: the yardstick of Benchmarks/proxy-bench.sh, not product code. A TCP forwarder
// with nothing in it but SwiftNIO: two channel handlers glued to each other (NIO's connect-proxy
// pattern), reads of one channel written to the other, a read asked for only while the other side
// is writable, half-close passed on. No observation, no buffering of its own.
//
//     bare-nio-proxy LISTEN_PORT TARGET_HOST TARGET_PORT     (listens on 127.0.0.1)
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One end of a glued pair: what its channel reads goes to the partner's channel.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let (first, second) = (GlueHandler(), GlueHandler())
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        partner?.context?.close(promise: nil)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // This channel's peer sent FIN: pass it on (NIO closes a channel fully once both halves are shut).
        if case .inputClosed? = event as? ChannelEvent {
            partner?.context?.close(mode: .output, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        guard context.channel.isWritable, let partner, partner.pendingRead else { return }
        partner.pendingRead = false
        partner.context?.read()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// One line on standard error (the C `stderr` global is not concurrency-safe in Swift 6).
func complain(_ message: String) {
    var line = "bare-nio-proxy: " + message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let listenPort = Int(arguments[1]), let targetPort = Int(arguments[3]) else {
    complain("usage: bare-nio-proxy LISTEN_PORT TARGET_HOST TARGET_PORT")
    exit(2)
}
let targetHost = arguments[2]

// The buffer sizes flowtap's transport uses (FlowTransport's TransportTuning: reads of up to
// 256 KiB, 512 KiB queued for a socket before writers wait), so that the two differ by the
// engine only. NIO's defaults (64 KiB reads, 64 KiB high watermark) gave 0.93× of these on iperf3
// here (median of 3, same run), at 12 MiB peak RSS instead of 15.
let recvAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)
let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 128 * 1024, high: 512 * 1024)

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let server = ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .serverChannelOption(.backlog, value: 256)
    .childChannelOption(.autoRead, value: false)  // nothing is read before the peer is connected
    .childChannelOption(.allowRemoteHalfClosure, value: true)
    .childChannelOption(.recvAllocator, value: recvAllocator)
    .childChannelOption(.writeBufferWaterMark, value: waterMark)
    .childChannelInitializer { accepted in
        ClientBootstrap(group: accepted.eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: recvAllocator)
            .channelOption(.writeBufferWaterMark, value: waterMark)
            .connect(host: targetHost, port: targetPort)
            .assumeIsolated()
            .flatMapThrowing { peer in
                let (acceptedGlue, peerGlue) = GlueHandler.matchedPair()
                do {
                    try accepted.pipeline.syncOperations.addHandler(acceptedGlue)
                    try peer.pipeline.syncOperations.addHandler(peerGlue)
                    try accepted.syncOptions?.setOption(.autoRead, value: true)
                } catch {
                    peer.close(promise: nil)
                    throw error
                }
            }
            .flatMapErrorThrowing { error in
                complain("forwarding to \(targetHost):\(targetPort): \(error)")
                accepted.close(promise: nil)
            }
            .nonisolated()
    }

do {
    let channel = try server.bind(host: "127.0.0.1", port: listenPort).wait()
    try channel.closeFuture.wait()
} catch {
    complain("\(error)")
    exit(1)
}

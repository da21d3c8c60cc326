import Crypto
import FlowCore
import FlowEvents
import FlowFramers
import FlowTransport
import NIOCore

extension Inspector {
    /// Runs one session's proxy between the two endpoints (the sockets under their fault
    /// stacks). Each endpoint's reads go through a ``FramingFlow`` under its tap (the session's
    /// decoder, `--decode`, cutting reads at message boundaries; with `--decode none` it only
    /// matches breakpoints); with `--rewrite` rules, through a ``RewritingFlow`` below that (no
    /// second forwarding loop), each rewrite reported as a `rewrite` event just before the
    /// rewritten chunk's `data`. An explicit decoder is reported (`decoder`) before anything is
    /// read; `auto` reports its choice at the session's first bytes.
    func run<Client: ShutdownableFlow, Server: ShutdownableFlow>(
        _ session: Session, client: Client, server: Server, target: Address? = nil,
        kill: @escaping @Sendable () async -> Void
    ) async {
        let decoder: SessionDecoder?
        switch options.decode {
        case .none: decoder = nil
        default:
            var port: Int?
            if case .tcp(_, let targetPort)? = target ?? self.target { port = targetPort }
            decoder = SessionDecoder(options.decode, portHint: port)
        }
        if options.decode != .auto { session.recorder.report(.decoder(options.decode.protocolName)) }
        let breakpoints = control.breakpoints
        func framed<Base: ShutdownableFlow>(_ base: Base, _ direction: Direction) -> FramingFlow<Base> {
            FramingFlow(base, reads: direction, decoder: decoder, session: session, breakpoints: breakpoints)
        }
        let c2s = options.rewrites.filter { $0.directions.contains(.c2s) }
        let s2c = options.rewrites.filter { $0.directions.contains(.s2c) }
        guard !c2s.isEmpty || !s2c.isEmpty else {
            _ = await session.run(client: framed(client, .c2s), server: framed(server, .s2c), kill: kill)
            return
        }
        let recorder = session.recorder
        func reporter(_ direction: Direction) -> @Sendable (Int, ByteBuffer, ByteBuffer) -> Void {
            { count, original, rewritten in
                recorder.report(
                    .rewrite(
                        direction, count: count, originalBytes: original.readableBytes,
                        bytes: rewritten.readableBytes, originalSHA256: SHA256.hex(original.readableBytesView)
                    ))
            }
        }
        _ = await session.run(
            client: framed(RewritingFlow(client, rules: c2s, report: reporter(.c2s)), .c2s),
            server: framed(RewritingFlow(server, rules: s2c, report: reporter(.s2c)), .s2c),
            kill: kill)
    }
}

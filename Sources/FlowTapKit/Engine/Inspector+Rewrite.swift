import Crypto
import FlowCore
import FlowEvents
import FlowTransport
import NIOCore

extension Inspector {
    /// Runs one session's proxy between the two endpoints (the sockets under their fault stacks); with `--rewrite` rules, each socket's
    /// reads go through a ``RewritingFlow`` under its tap (no second forwarding loop), and each
    /// rewrite is reported as a `rewrite` event just before the rewritten chunk's `data`.
    func run<Client: ShutdownableFlow, Server: ShutdownableFlow>(
        _ session: Session, client: Client, server: Server, kill: @escaping @Sendable () async -> Void
    ) async {
        let c2s = options.rewrites.filter { $0.directions.contains(.c2s) }
        let s2c = options.rewrites.filter { $0.directions.contains(.s2c) }
        guard !c2s.isEmpty || !s2c.isEmpty else {
            _ = await session.run(client: client, server: server, kill: kill)
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
            client: RewritingFlow(client, rules: c2s, report: reporter(.c2s)),
            server: RewritingFlow(server, rules: s2c, report: reporter(.s2c)),
            kill: kill)
    }
}

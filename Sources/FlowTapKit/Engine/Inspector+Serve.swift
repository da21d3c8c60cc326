import FlowCore
import FlowEvents
import FlowFaults
import FlowTransport

extension Inspector {
    /// Serves client number `id`: connects to the target on the client's event loop, then runs
    /// a ``Session`` between them (faults and rewrites set up), registered for ``control``.
    ///
    /// A failed connect is reported as `connect_error` and the client is reset, the way a
    /// direct client meets a refused target (TCP: ECONNRESET, not end-of-file; a Unix socket
    /// has no reset and is closed). Both sockets are closed when the session has ended.
    ///
    /// On a proxy listener the target comes from the client's handshake first (see
    /// ``route(_:id:client:)``); a failed connect is then answered in the protocol and
    /// followed by a FIN, not a reset. Sessions `--only` does not match are passed through
    /// unobserved (``passThrough(_:id:client:server:)``).
    ///
    /// Everything runs on the client's event loop (its ``FlowTransport/SocketFlow/taskExecutor``),
    /// where its socket and the target's are served: the proxy handshake's reads, the connect
    /// and the session resume on that thread, one hop for the whole session rather than one per
    /// step.
    func serve(_ client: SocketFlow, id: Int) async {
        await withTaskExecutorPreference(client.taskExecutor) {
            await self.serveOnLoop(client, id: id)
        }
    }

    private func serveOnLoop(_ client: SocketFlow, id: Int) async {
        let clientAddress = PeerAddress(client.remoteSocketAddress, text: client.remoteAddress)
        guard let route = await route(client, id: id, client: clientAddress) else { return }
        let target = route.target
        let server: SocketFlow
        if options.tls != nil && route.request == nil {
            // TLS: the handshakes come before `open` (Inspector+TLS.swift).
            guard
                let connected = await connectWithTLS(
                    client, id: id, clientAddress: clientAddress, target: target)
            else {
                return
            }
            server = connected
        } else {
            do {
                server = try await Connector.connect(target, on: client.eventLoop)
            } catch {
                if route.observed {
                    var event = SessionEvent(
                        conn: id,
                        .connectError(client: clientAddress, target: PeerAddress(target), error: error.reason)
                    )
                    event.targetName = route.request?.target.name
                    emit(event)
                }
                await route.refuse(client, error)
                return
            }
        }
        // --intercept-tls: the client's first bytes after the proxy's answer are held until
        // they tell whether it speaks TLS (Inspector+Intercept.swift).
        let intercepting =
            options.interceptTLS && options.tls != nil && route.request != nil && route.observed
        if intercepting { await client.holdForClientHello() }
        guard let clientFlow = await route.accept(client, server: server, id: id, emit: { self.emit($0) })
        else {
            return
        }
        guard route.observed else {
            await passThrough(clientFlow, id: id, client: client, server: server)
            return
        }
        if intercepting {
            guard await interceptTLS(clientFlow, server: server, route: route, id: id) else { return }
        }
        var open = SessionEvent(
            conn: id,
            .open(
                client: clientAddress,
                target: PeerAddress(server.remoteSocketAddress, text: server.remoteAddress)))
        open.targetName = route.request?.target.name
        emit(open)
        let paused = pausesNewSessions
        let session = Session(
            id: id, paused: paused, room: { await self.room() }, hasRoom: { self.observersHaveRoom },
            emit: { self.emit($0) })
        // A peer that resets while its direction is held would go unnoticed (nothing reads it):
        // the session hears of it from the transport and ends (see Session.sourceFailed).
        client.whenFailed { session.sourceFailed(.c2s, $0) }
        server.whenFailed { session.sourceFailed(.s2c, $0) }
        // Faults act on what is written: c2s on the server's endpoint, s2c on the client's. A
        // reset fault resets both sockets.
        let resetBoth: @Sendable () async -> Void = {
            await client.reset()
            await server.reset()
        }
        // Under the faults, a stamp reports each chunk when it reaches the socket.
        let towardsServer = FaultStack(
            DepartureStamp(server, writing: .c2s, for: session), onReset: resetBoth)
        let towardsClient = FaultStack(
            DepartureStamp(clientFlow, writing: .s2c, for: session), onReset: resetBoth)
        session.attachFaults(towardsServer, for: .c2s)
        session.attachFaults(towardsClient, for: .s2c)
        for direction in Direction.allCases {
            let faults = control.newSessions.faults(for: direction).map {
                Self.seeded($0, session: id, direction: direction)
            }
            if !faults.isEmpty { session.setFaults(faults, for: direction) }
        }
        if !registry.attach(LiveSession(session: session, reset: resetBoth), to: id) {
            // Stopping: the session ends as soon as what is in flight has gone through.
            for direction in Direction.allCases { await session.passFIN(direction) }
        }
        // Pausing stopped (headless control's input ended) while this session was being set up,
        // before a "resume all" could reach it: it must not stay paused.
        if paused && !pausesNewSessions {
            for direction in Direction.allCases { session.resume(direction) }
        }
        await run(session, client: towardsClient, server: towardsServer, target: target, kill: resetBoth)
        async let closeClient: Void = client.close(waitingAtMost: .seconds(2))
        await server.close(waitingAtMost: .seconds(2))
        await closeClient
    }

    /// `fault` with a jitter seed of its own for the session and direction, when it has none.
    static func seeded(_ fault: Fault, session: Int, direction: Direction) -> Fault {
        guard case .latency(let delay, let jitter, 0) = fault else { return fault }
        return .latency(delay, jitter: jitter, seed: UInt64(session) &* 2 &+ (direction == .c2s ? 1 : 2))
    }
}

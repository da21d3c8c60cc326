import FlowCapture
import FlowCore
import FlowFaults
import FlowTransport
import NIOCore
import Synchronization

/// The inspector engine: accepts clients on the listen address, connects each to the target,
/// and runs a ``Session`` (numbered from 1) between them, reporting everything to its observers.
///
/// A failed connect to the target is reported as `connect_error` and the client is closed
/// (it reads end-of-file). A session's failure never stops the listener or the other sessions.
public final class Inspector: SessionControl {
    /// How the inspector treats sessions.
    public struct Options: Sendable {
        /// Start every new session with both directions paused (intercept mode).
        public var pauseNewSessions = false
        /// Stop after the first session has ended.
        public var once = false
        /// How long ``stop()`` lets sessions end by themselves before resetting them.
        public var stopGrace: Duration = .seconds(2)
        /// `--rewrite` rules applied to every chunk read (see ``RewriteRule``), in order.
        public var rewrites: [RewriteRule] = []
        /// Faults applied to every new session (`--fault`), each reported as a `fault` event. A
        /// latency's jitter is seeded per session and direction (unless the spec gives a seed).
        public var faults: [FaultSpec] = []
        /// Default options.
        public init() {}
    }

    private struct State {
        var nextID = 1
        var sessions: [Int: Session] = [:]
        var stopping = false
    }

    /// The address listened on, with the real port: `"127.0.0.1:43117"`.
    public let listenAddress: String
    /// Where sessions are forwarded.
    public let target: Address
    /// The options given.
    public let options: Options
    private let listener: Listener
    private let observers: [any InspectorObserver]
    private let state = Mutex(State())

    private init(listener: Listener, target: Address, options: Options, observers: [any InspectorObserver]) {
        self.listener = listener
        self.listenAddress = listener.localAddress
        self.target = target
        self.options = options
        self.observers = observers
    }

    /// Binds the listen address and reports `listening` with the real address.
    /// - Throws: ``TransportError`` when the address cannot be listened on
    ///   (`cannot listen on 127.0.0.1:8080: address already in use`).
    public static func bind(
        listen: Address, target: Address, options: Options = Options(), observers: [any InspectorObserver]
    ) async throws(TransportError) -> Inspector {
        let listener = try await Listener.bind(listen)
        let inspector = Inspector(listener: listener, target: target, options: options, observers: observers)
        inspector.emit(InspectorEvent(session: nil, .listening(address: listener.localAddress)))
        return inspector
    }

    /// Sends an event to every observer, in order.
    public func emit(_ event: InspectorEvent) {
        for observer in observers { observer.record(event) }
    }

    /// Accepts and serves clients until ``stop()`` (or, with `once`, until the first session has
    /// ended), then waits for every session to end.
    public func run() async {
        await withDiscardingTaskGroup { group in
            while let client = try? await listener.accept() {
                let id = state.withLock { s -> Int in
                    defer { s.nextID += 1 }
                    return s.nextID
                }
                group.addTask {
                    await self.serve(client, id: id)
                    if self.options.once { await self.stop() }
                }
            }
        }
    }

    /// Stops accepting, lets running sessions end (FIN passed on both ways), resets those still
    /// running after the grace period, and returns once all have ended.
    public func stop() async {
        let first = state.withLock { s in
            defer { s.stopping = true }
            return !s.stopping
        }
        guard first else { return }
        await listener.close()
        let running = state.withLock { Array($0.sessions.values) }
        for session in running {
            for direction in Direction.allCases { await session.passFIN(direction) }
        }
        let deadline = ContinuousClock.now + options.stopGrace
        while ContinuousClock.now < deadline, state.withLock({ !$0.sessions.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for session in state.withLock({ Array($0.sessions.values) }) { await session.kill() }
    }

    private func serve(_ client: SocketFlow, id: Int) async {
        let clientAddress = CaptureAddress(client.remoteSocketAddress, text: client.remoteAddress)
        let server: SocketFlow
        do {
            server = try await Connector.connect(target, on: client.eventLoop)
        } catch {
            emit(
                InspectorEvent(
                    session: id,
                    .connectError(client: clientAddress, target: CaptureAddress(target), error: error.reason))
            )
            await client.shutdownWrite()
            await client.close(waitingAtMost: .seconds(1))
            return
        }
        emit(
            InspectorEvent(
                session: id,
                .open(
                    client: clientAddress,
                    target: CaptureAddress(server.remoteSocketAddress, text: server.remoteAddress))))
        let session = Session(id: id, paused: options.pauseNewSessions) { self.emit($0) }
        // Faults act on what is written: c2s on the server's endpoint, s2c on the client's. A
        // reset fault resets both sockets.
        let resetBoth: @Sendable () async -> Void = {
            await client.reset()
            await server.reset()
        }
        let towardsServer = FaultStack(server, onReset: resetBoth)
        let towardsClient = FaultStack(client, onReset: resetBoth)
        session.attachFaults(towardsServer, for: .c2s)
        session.attachFaults(towardsClient, for: .s2c)
        for direction in Direction.allCases {
            let faults = options.faults.filter { $0.target.directions.contains(direction) }.map {
                Self.seeded($0.fault, session: id, direction: direction)
            }
            if !faults.isEmpty { session.setFaults(faults, for: direction) }
        }
        let stopping = state.withLock { s in
            s.sessions[id] = session
            return s.stopping
        }
        if stopping {
            for direction in Direction.allCases { await session.passFIN(direction) }
        }
        await withTaskExecutorPreference(client.taskExecutor) {
            await self.run(session, client: towardsClient, server: towardsServer, kill: resetBoth)
        }
        state.withLock { _ = $0.sessions.removeValue(forKey: id) }
        async let closeClient: Void = client.close(waitingAtMost: .seconds(2))
        await server.close(waitingAtMost: .seconds(2))
        await closeClient
    }

    /// `fault` with a jitter seed of its own for the session and direction, when it has none.
    static func seeded(_ fault: Fault, session: Int, direction: Direction) -> Fault {
        guard case .latency(let delay, let jitter, 0) = fault else { return fault }
        return .latency(delay, jitter: jitter, seed: UInt64(session) &* 2 &+ (direction == .c2s ? 1 : 2))
    }

    /// The number of the newest session (0 before the first).
    public var currentSessionCount: Int { state.withLock { $0.nextID - 1 } }

    private func session(_ id: Int) -> Session? { state.withLock { $0.sessions[id] } }

    /// Pauses a direction of a live session.
    public func pause(session id: Int, direction: Direction) { session(id)?.pause(direction) }
    /// Resumes a direction of a live session.
    public func resume(session id: Int, direction: Direction) { session(id)?.resume(direction) }
    /// Steps a paused direction of a live session.
    public func step(session id: Int, direction: Direction) { session(id)?.step(direction) }
    /// Resumes every direction of every live session.
    public func resumeAll() {
        for session in state.withLock({ Array($0.sessions.values) }) {
            for direction in Direction.allCases { session.resume(direction) }
        }
    }
    /// Resets both sides of a live session.
    public func kill(session id: Int) {
        guard let session = session(id) else { return }
        Task { await session.kill() }
    }
    /// The faults active on one direction of a live session (empty when it is not live).
    public func faults(session id: Int, direction: Direction) -> [Fault] {
        session(id)?.faults(direction) ?? []
    }
    /// Replaces the faults of one direction of a live session; the changes are reported as
    /// `fault` events (see ``Session/setFaults(_:for:)``). A latency without a seed gets the
    /// session's and direction's own, as `--fault` gives it, so a fault read back from its
    /// `description` equals the active one.
    public func setFaults(session id: Int, direction: Direction, _ faults: [Fault]) {
        session(id)?.setFaults(
            faults.map { Self.seeded($0, session: id, direction: direction) }, for: direction)
    }
    /// Passes a FIN on in one direction of a live session.
    public func passFIN(session id: Int, direction: Direction) {
        guard let session = session(id) else { return }
        Task { await session.passFIN(direction) }
    }
    /// The chunk a direction of a live session holds now, if any.
    public func held(session id: Int, direction: Direction) -> HeldChunk? { session(id)?.held(direction) }
    /// Replaces a held chunk of a live session (see ``Session/replace(_:hold:with:)``).
    public func replaceHeld(session id: Int, direction: Direction, hold: Int, with bytes: ByteBuffer) {
        session(id)?.replace(direction, hold: hold, with: bytes)
    }
    /// Drops a held chunk of a live session (see ``Session/drop(_:hold:)``).
    public func dropHeld(session id: Int, direction: Direction, hold: Int) {
        session(id)?.drop(direction, hold: hold)
    }
    /// Injects bytes into a direction of a live session (see ``Session/inject(_:_:)``).
    public func inject(
        session id: Int, direction: Direction, _ bytes: ByteBuffer,
        onRefusal: @escaping @Sendable (String) -> Void
    ) {
        guard let session = session(id) else { return onRefusal("session #\(id) has ended") }
        Task {
            if let reason = await session.inject(direction, bytes) { onRefusal(reason) }
        }
    }
}

import FlowCapture
import FlowCore
import FlowEvents
import FlowFaults
import FlowFramers
import FlowTransport
import Synchronization

/// The inspector engine: accepts clients on the listen address, connects each to the target,
/// and runs a ``Session`` between them, reporting everything to its observers.
///
/// It is four parts, each findable by name:
/// - an ``AcceptLoop`` that never exits on an error and keeps the live sessions under a cap
///   derived from the descriptor limit (``DescriptorBudget``, lowered by
///   ``Options/maxSessions``);
/// - a ``SessionRegistry``: sessions run as child tasks of its group, numbered from 1 when
///   accepted;
/// - ``control``, the ``SessionController`` the UI's keys go through;
/// - the ``Options``.
///
/// A failed connect to the target is reported as `connect_error` and the client is reset (a
/// TCP client reads ECONNRESET, not end-of-file). A session's failure never stops the listener
/// or the other sessions.
public final class Inspector: Sendable {
    /// How the inspector treats sessions.
    public struct Options: Sendable {
        /// Start every new session with both directions paused (intercept mode).
        public var pauseNewSessions = false
        /// Stop after the first session has ended.
        public var once = false
        /// How long ``Inspector/stop()`` lets sessions end by themselves before resetting them.
        public var stopGrace: Duration = .seconds(2)
        /// `--rewrite` rules applied to every chunk read (see ``RewriteRule``), in order.
        public var rewrites: [RewriteRule] = []
        /// Faults applied to every new session (`--fault`), each reported as a `fault` event. A
        /// latency's jitter is seeded per session and direction (unless the spec gives a seed).
        public var faults: [FaultSpec] = []
        /// `--max-sessions`: at most this many live sessions, when lower than the cap the
        /// descriptor limit gives (``DescriptorBudget/sessionCap``); `nil` for that cap.
        public var maxSessions: Int?
        /// `--decode`: how each session's messages are found (``FlowFramers/DecoderSpec/auto``
        /// by default: decided from the first bytes, with the target's port as a hint).
        public var decode: DecoderSpec = .auto
        /// `--break`: the breakpoints every session starts with (the UI may change them; see
        /// ``SessionController/breakpoints``).
        public var breakpoints: [Breakpoint] = []
        /// `--only`: when not empty, only sessions whose target one of these matches are
        /// observed; the others are passed through as a bare proxy would: forwarded, with no
        /// event, no capture, no pause, breakpoint or fault, not counted by `once`, and not
        /// reachable by ``control``.
        public var only: [TargetPattern] = []
        /// How long a proxy listener's client has to finish its handshake
        /// (``FlowTransport/ProxyHandshake``).
        public var handshakeTimeLimit: Duration = ProxyHandshake.defaultTimeLimit
        /// The TLS settings (issue 15), needed when the listen address is `tls-listen:` or the
        /// target `tls:`: each session then has a TLS step before `open` (see
        /// ``Inspector/connectWithTLS(_:id:clientAddress:)``).
        public var tls: TLSEnvironment?
        /// `--intercept-tls` (a proxy listener, with ``tls`` set): a session whose client's first
        /// bytes are a TLS ClientHello is opened (``Inspector/interceptTLS(client:server:route:id:)``);
        /// the others pass as they are.
        public var interceptTLS = false
        /// Default options.
        public init() {}
    }

    /// The address listened on, with the real port: `"127.0.0.1:43117"`.
    public let listenAddress: String
    /// Where sessions are forwarded; nil for a proxy listener (`socks5-listen:`,
    /// `http-proxy-listen:`), whose sessions each go where their client's handshake says.
    public let target: Address?
    /// The protocol of a proxy listener's handshake; nil for the others.
    let proxyProtocol: ProxyProtocol?
    /// The connections `--only` passes through unobserved and the proxy clients still in their
    /// handshake, reset by ``stop()`` if still open after the grace period.
    let passThroughs = PassThroughSet()
    /// The options given.
    public let options: Options
    /// The most sessions live at once: the descriptor budget's cap, or `maxSessions` if lower.
    public let sessionLimit: Int
    /// The commands the UI gives to live sessions.
    public let control: SessionController
    let registry = SessionRegistry<LiveSession>()
    private let listener: Listener
    private let observers: [any InspectorObserver]

    private init(
        listener: Listener, target: Address?, options: Options, observers: [any InspectorObserver]
    ) {
        self.listener = listener
        self.proxyProtocol = listener.address.proxyProtocol
        self.listenAddress = listener.localAddress
        self.target = target
        self.options = options
        self.observers = observers
        self.control = SessionController(
            registry: registry, breakpoints: BreakpointSet(options.breakpoints),
            newSessions: NewSessionPolicy(pausing: options.pauseNewSessions, faults: options.faults))
        let cap = DescriptorBudget.measure().sessionCap
        self.sessionLimit = min(cap, options.maxSessions ?? cap)
    }

    /// Binds the listen address and reports `listening` with the real address. `target` is
    /// where every session goes; nil for a proxy listener (``FlowTransport/Address/proxyProtocol``),
    /// whose clients name their targets.
    /// - Throws: ``TransportError`` when the address cannot be listened on
    ///   (`cannot listen on 127.0.0.1:8080: address already in use`), when `target` is nil
    ///   for a listener that is not a proxy, or given for one that is.
    public static func bind(
        listen: Address, target: Address?, options: Options = Options(), observers: [any InspectorObserver]
    ) async throws(TransportError) -> Inspector {
        if (target == nil) != (listen.proxyProtocol != nil) {
            throw TransportError(
                action: "cannot serve \(listen)",
                reason: target == nil
                    ? "no target (only a proxy listener takes its targets from its clients)"
                    : "a proxy listener takes its targets from its clients: give no target")
        }
        DescriptorBudget.raiseLimit()
        if case .tlsListen = listen, options.tls == nil {
            throw TransportError(
                action: "cannot listen on \(listen)", reason: "tls-listen: needs TLS settings (Options.tls)")
        }
        let listener = try await Listener.bind(listen)
        let inspector = Inspector(listener: listener, target: target, options: options, observers: observers)
        inspector.emit(SessionEvent(conn: nil, .listening(address: listener.localAddress)))
        return inspector
    }

    /// Whether sessions accepted from now on start paused: ``Options/pauseNewSessions`` until
    /// ``stopPausingNewSessions()`` or a change through ``SessionController/newSessions``.
    public var pausesNewSessions: Bool { control.newSessions.pausesNewSessions }

    /// Makes sessions accepted from now on start flowing, whatever ``Options/pauseNewSessions``
    /// says: what headless control does when its input ends, since nothing could resume them.
    public func stopPausingNewSessions() {
        control.newSessions.setPausing(false)
    }

    /// Sends an event to every observer, in order.
    public func emit(_ event: SessionEvent) {
        for observer in observers { observer.record(event) }
    }

    /// Whether every observer has room for a chunk's events now (``room()`` would return at once).
    public var observersHaveRoom: Bool { observers.allSatisfy(\.hasRoom) }

    /// Returns when every observer has room for a chunk's events (see ``InspectorObserver/room()``).
    public func room() async {
        // Checked synchronously first: an async call per observer and chunk costs the data path.
        for observer in observers where !observer.hasRoom { await observer.room() }
    }

    /// Accepts and serves clients until ``stop()`` (or, with `once`, until the first session has
    /// ended), then waits for every session to end. Accept failures are reported and retried;
    /// they never end it.
    public func run() async {
        let loop = AcceptLoop(listener: listener, limit: sessionLimit) { self.emit($0) }
        await withDiscardingTaskGroup { group in
            if options.once {
                group.addTask {
                    if await self.registry.waitForFirstEnd() { await self.stop() }
                }
            }
            await loop.run(in: registry) { client, id in await self.serve(client, id: id) }
            // Stopped without a session ever ending: the `once` watcher ends with the loop.
            registry.beginStopping()
        }
    }

    /// Stops accepting, passes a FIN on both ways in every live session, waits for them to end
    /// up to ``Options/stopGrace``, resets those still running, and returns once all have
    /// ended. A second call returns at once.
    public func stop() async {
        guard registry.beginStopping() else { return }
        await listener.close()
        for live in registry.handles {
            for direction in Direction.allCases { await live.session.passFIN(direction) }
        }
        if await registry.waitAllEnded(atMost: options.stopGrace) { return }
        await passThroughs.resetAll()
        // Sessions still running may be waiting for a reader that will not read (stdout nobody
        // reads): they must not wait any more, or they could never end.
        for observer in observers { observer.stopPushingBack() }
        // Still running, or waiting for a peer to close: reset.
        for live in registry.handles {
            await live.session.kill()
            await live.reset()
        }
        await registry.waitAllEnded()
    }
}

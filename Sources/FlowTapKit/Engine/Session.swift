import FlowCore
import FlowEvents
import FlowFaults
import NIOCore
import Synchronization

/// One proxied connection: the two taps, their gates, and the commands that reach them.
///
/// ``run(client:server:)`` wraps both endpoints in ``Tap``s and runs the core
/// ``FlowCore/proxy(_:_:clock:)`` between them — the one forwarding loop there is. It reports
/// `close` with the statistics of both directions when both have ended.
public final class Session: Sendable {
    /// The session number, from 1.
    public let id: Int
    let recorder: SessionRecorder
    let gates: PerDirection<Gate>
    /// What reaches the running taps; `nil` before ``run(client:server:kill:)`` and after it.
    private let controls = Mutex<Controls?>(nil)
    private let faultStacks = Mutex(PerDirection<(any FaultControl)?>(c2s: nil, s2c: nil))
    private let failures = Mutex(SourceFailures())

    /// What ``sourceFailed(_:_:)`` learnt, and whether the session is running to act on it.
    private struct SourceFailures {
        var source = PerDirection<FlowError?>(c2s: nil, s2c: nil)
        var running = false
        var ending = false
    }

    /// The commands that act on the taps of a running session.
    private struct Controls {
        /// Ends the direction's input (as if its source had sent FIN).
        var endInput: PerDirection<@Sendable () async -> Void>
        /// Writes bytes to the direction's destination between two chunks.
        var inject: PerDirection<@Sendable (ByteBuffer) async -> String?>
        /// Resets both endpoints.
        var kill: @Sendable () async -> Void
    }

    /// A session numbered `id` reporting to `emit`; with `paused`, both directions start paused.
    /// Before each chunk is reported and written, the session awaits `room` (the observers'
    /// back-pressure: ``InspectorObserver/room()``) unless `hasRoom` says it would return at
    /// once (``InspectorObserver/hasRoom``).
    public init(
        id: Int, paused: Bool = false, room: @escaping @Sendable () async -> Void = {},
        hasRoom: @escaping @Sendable () -> Bool = { true },
        emit: @escaping @Sendable (SessionEvent) -> Void
    ) {
        self.id = id
        let recorder = SessionRecorder(id: id, room: room, hasRoom: hasRoom, emit: emit)
        self.recorder = recorder
        self.gates = PerDirection { direction in
            Gate(paused: paused) { held in
                recorder.report(.held(direction, held))
            } onDrop: { dropped in
                recorder.reportDrop(direction, dropped.bytes)
            }
        }
        if paused {
            for direction in Direction.allCases { recorder.report(.pause(direction)) }
        }
    }

    /// Runs the proxy between the two endpoints until both directions have ended, reports
    /// `close` (with what really moved each way: every chunk read from the source, every chunk
    /// written to the destination, edits, drops and injections included), and returns the core
    /// proxy's statistics (`c2s`, `s2c`). Errors are reported as events and end
    /// only their direction; the endpoints are left for the caller to close.
    ///
    /// `kill` is what ``kill()`` does to the endpoints (a reset). It is also what a read or write
    /// error does: the first failure of either connection resets both, so the other peer learns
    /// of it as a reset (not a FIN), and what follows is not reported as news.
    @discardableResult
    public func run<Client: ShutdownableFlow, Server: ShutdownableFlow>(
        client: Client, server: Server, kill: @escaping @Sendable () async -> Void = {}
    ) async -> (c2s: Stats, s2c: Stats) {
        let clientTap = Tap(client, reads: .c2s, gate: gates.c2s, recorder: recorder)
        let serverTap = Tap(server, reads: .s2c, gate: gates.s2c, recorder: recorder)
        recorder.setAbortAction(kill)
        controls.withLock {
            $0 = Controls(
                endInput: PerDirection(
                    c2s: { await clientTap.endInput() }, s2c: { await serverTap.endInput() }),
                // c2s is written to the server, s2c to the client.
                inject: PerDirection(
                    c2s: { await serverTap.inject($0) }, s2c: { await clientTap.inject($0) }),
                kill: kill)
        }
        failures.withLock { $0.running = true }
        for direction in Direction.allCases { endIfStuck(direction) }
        let stats: (c2s: Stats, s2c: Stats)
        do {
            let (up, down) = try await proxy(clientTap, serverTap)
            stats = (up, down)
        } catch {
            stats = (error.aToB, error.bToA)
        }
        for gate in gates.both { gate.release() }
        controls.withLock { $0 = nil }
        failures.withLock { $0.running = false }
        // The close event counts what really moved: with edits, drops and injections that is
        // not what the core proxy copied (its stats count the chunks it got from the taps).
        recorder.report(
            .close(
                c2s: recorder.moved(.c2s, duration: stats.c2s.duration),
                s2c: recorder.moved(.s2c, duration: stats.s2c.duration)))
        return stats
    }

    /// Holds the direction (see ``Gate``); reports `pause`. Returns false (nothing reported)
    /// when it was paused already.
    @discardableResult
    public func pause(_ direction: Direction) -> Bool {
        guard gates[direction].pause() else { return false }
        recorder.report(.pause(direction))
        endIfStuck(direction)
        return true
    }

    /// Holds the chunk `direction` returns next because its message (or, undecoded, its text)
    /// matched `breakpoint`: exactly a user's ``pause(_:)`` before it (reported as `pause` when
    /// the direction was flowing), with the hold naming the breakpoint (``HeldChunk/breakpoint``).
    func holdAtBreakpoint(_ direction: Direction, _ breakpoint: Breakpoint) {
        guard gates[direction].holdNext(breakpoint: breakpoint.description) else { return }
        recorder.report(.pause(direction))
        endIfStuck(direction)
    }

    /// Lets the direction flow again; reports `resume`. Returns false (nothing reported) when it
    /// was not paused.
    @discardableResult
    public func resume(_ direction: Direction) -> Bool {
        // The command is reported before its effect (the held chunk going on).
        guard gates[direction].isPaused else { return false }
        recorder.report(.resume(direction))
        gates[direction].resume()
        return true
    }

    /// Lets one chunk of a paused direction through; reports `step`. Returns false (nothing
    /// reported) when the direction is not paused.
    @discardableResult
    public func step(_ direction: Direction) -> Bool {
        guard gates[direction].isPaused else { return false }
        recorder.report(.step(direction))
        gates[direction].step()
        return true
    }

    /// Discards the chunk `direction` holds now or, when none is held, the next one read
    /// (``Gate/dropNext()``), reported as `drop` when it is discarded; the direction stays
    /// paused. Returns false (and does nothing) when the direction is not paused.
    @discardableResult
    public func dropNext(_ direction: Direction) -> Bool {
        gates[direction].dropNext()
    }

    /// Sends `bytes` (at least one) in place of the chunk `direction` holds now or, when none is
    /// held, of the next one read (``Gate/replaceNext(with:)``), reported as `edit` and `data`
    /// when sent; the direction stays paused. Returns false (and does nothing) when the
    /// direction is not paused or `bytes` is empty.
    @discardableResult
    public func replaceNext(_ direction: Direction, with bytes: ByteBuffer) -> Bool {
        guard bytes.readableBytes > 0 else { return false }
        return gates[direction].replaceNext(with: bytes)
    }

    /// Tells the session that the source of `direction` failed (the client's socket for `c2s`,
    /// the target's for `s2c`: reset by the peer, or another socket error), as the transport
    /// learns it even while nothing reads the socket (``FlowTransport/SocketFlow/whenFailed(_:)``).
    /// A FIN is not a failure: a half-closed peer is never reported here.
    ///
    /// While the direction flows, its tap reads the failure after the bytes before it and the
    /// session fails as usual. While it is paused, no tap would read it: the session is ended
    /// at once (now, or when it starts running or the direction is paused later): `read_error`
    /// is reported for the direction, both endpoints are reset (so the target's connection is
    /// released), the chunks held are not delivered, and `close` follows.
    public func sourceFailed(_ direction: Direction, _ error: FlowError) {
        failures.withLock { $0.source[direction] = $0.source[direction] ?? error }
        endIfStuck(direction)
    }

    /// Ends the session when `direction`'s source failed while the direction is paused (see
    /// ``sourceFailed(_:_:)``); does nothing otherwise, or before ``run(client:server:kill:)``.
    private func endIfStuck(_ direction: Direction) {
        guard gates[direction].holdsBack else { return }
        let error = failures.withLock { f -> FlowError? in
            guard f.running, !f.ending, let error = f.source[direction] else { return nil }
            f.ending = true
            return error
        }
        guard let error else { return }
        let recorder = recorder
        let gates = gates
        Task {
            await recorder.fail(.readError(direction, error.description), direction: direction)
            for gate in gates.both { gate.abandon() }
        }
    }

    /// The chunk `direction`'s gate holds now, if any.
    public func held(_ direction: Direction) -> HeldChunk? { gates[direction].held }

    /// Sends `bytes` in place of held chunk number `hold` of `direction` (see
    /// ``Gate/replace(hold:with:)``); the direction stays paused. The edit is reported as `edit`
    /// and `data` when the bytes are written. Returns false when that chunk is not held any more
    /// (or `bytes` is empty: use ``drop(_:hold:)``).
    @discardableResult
    public func replace(_ direction: Direction, hold: Int, with bytes: ByteBuffer) -> Bool {
        guard bytes.readableBytes > 0 else { return false }
        return gates[direction].replace(hold: hold, with: bytes)
    }

    /// Discards held chunk number `hold` of `direction` (reported as `drop`); the direction
    /// stays paused and holds its next chunk. Returns false when that chunk is not held any more.
    @discardableResult
    public func drop(_ direction: Direction, hold: Int) -> Bool {
        gates[direction].drop(hold: hold)
    }

    /// Writes `bytes` (at least one) to `direction`'s destination between two chunks, reported
    /// as `inject` and `data`; a paused direction's held chunk stays held (it goes after them).
    /// Returns `nil` once written, else why not: the session is not running, the direction is
    /// shut or failed, or the write failed (also reported as `write_error`).
    public func inject(_ direction: Direction, _ bytes: ByteBuffer) async -> String? {
        guard bytes.readableBytes > 0 else { return "nothing to inject" }
        guard let inject = controls.withLock({ $0?.inject[direction] }) else {
            return "session #\(id) is not running"
        }
        return await inject(bytes)
    }

    /// Ends the direction as if its source had sent FIN; the FIN is then passed on.
    public func passFIN(_ direction: Direction) async {
        let end = controls.withLock { $0?.endInput[direction] }
        await end?()
    }

    /// Resets both endpoints; held chunks go on (and fail to be written), and a writer held by a
    /// blackhole fault fails.
    public func kill() async {
        let kill = controls.withLock { $0?.kill }
        await kill?()
        for gate in gates.both { gate.release() }
        for stack in faultStacks.withLock({ $0.both }) { stack?.fail(FlowError("session killed")) }
    }

    /// Makes `stack` the one that applies the faults of `direction`: it must wrap the
    /// direction's destination (the server's endpoint for `c2s`, the client's for `s2c`) and be
    /// what ``run(client:server:kill:)`` is given. Its current faults are reported as `fault`
    /// events.
    public func attachFaults<Base: ShutdownableFlow, C: Clock>(
        _ stack: FaultStack<Base, C>, for direction: Direction
    ) {
        faultStacks.withLock { $0[direction] = stack }
        for fault in stack.faults { recorder.report(.fault(direction, fault.description)) }
    }

    /// The faults active on `direction` (empty when no fault stack is attached).
    public func faults(_ direction: Direction) -> [Fault] {
        faultStacks.withLock { $0[direction] }?.faults ?? []
    }

    /// Replaces the faults of `direction` while data flows (see ``FlowCore/FaultStack``): each
    /// removed fault is reported as `fault` `"-KIND=VALUE"`, then each added one as
    /// `"KIND=VALUE"`. Does nothing when no fault stack is attached to the direction.
    public func setFaults(_ faults: [Fault], for direction: Direction) {
        guard let stack = faultStacks.withLock({ $0[direction] }) else { return }
        var removed = stack.faults
        var added: [Fault] = []
        for fault in faults {
            if let index = removed.firstIndex(of: fault) {
                removed.remove(at: index)
            } else {
                added.append(fault)
            }
        }
        stack.set(faults)
        for fault in removed { recorder.report(.fault(direction, "-\(fault)")) }
        for fault in added { recorder.report(.fault(direction, fault.description)) }
    }
}

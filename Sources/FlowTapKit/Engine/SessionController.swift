import FlowCore
import FlowEvents
import FlowFaults
import NIOCore

/// The ``SessionControl`` of an ``Inspector``: the UI's commands, each applied to the live
/// ``Session`` the ``SessionRegistry`` holds under its number. Every call returns at once;
/// sessions that are unknown, still connecting or ended are ignored (`inject` says why).
public final class SessionController: SessionControl {
    private let registry: SessionRegistry<LiveSession>
    /// The breakpoints of every session (`--break`, and `b` in the UI): a change acts on the
    /// next message of every live session.
    public let breakpoints: BreakpointSet
    /// What applies to sessions not accepted yet (whether they start paused): the UI's `I`.
    public let newSessions: NewSessionPolicy

    /// Commands for the sessions of `registry`, holding messages that match `breakpoints`;
    /// `newSessions` is the accepting ``Inspector``'s policy.
    public init(
        registry: SessionRegistry<LiveSession>, breakpoints: BreakpointSet = BreakpointSet(),
        newSessions: NewSessionPolicy = NewSessionPolicy()
    ) {
        self.registry = registry
        self.breakpoints = breakpoints
        self.newSessions = newSessions
    }

    /// The number of the newest session (0 before the first).
    public var currentSessionCount: Int { registry.lastNumber }

    /// The live session numbered `id`, if there is one (connected and not ended).
    public func session(_ id: Int) -> Session? { registry.handle(id)?.session }

    /// Pauses a direction of a live session.
    public func pause(session id: Int, direction: Direction) { registry.handle(id)?.session.pause(direction) }
    /// Resumes a direction of a live session.
    public func resume(session id: Int, direction: Direction) {
        registry.handle(id)?.session.resume(direction)
    }
    /// Steps a paused direction of a live session.
    public func step(session id: Int, direction: Direction) { registry.handle(id)?.session.step(direction) }
    /// Resumes every direction of every live session.
    public func resumeAll() {
        for session in registry.handles.map(\.session) {
            for direction in Direction.allCases { session.resume(direction) }
        }
    }
    /// Resets both sides of a live session.
    public func kill(session id: Int) {
        guard let session = registry.handle(id)?.session else { return }
        Task { await session.kill() }
    }
    /// The faults active on one direction of a live session (empty when it is not live).
    public func faults(session id: Int, direction: Direction) -> [Fault] {
        registry.handle(id)?.session.faults(direction) ?? []
    }
    /// Replaces the faults of one direction of a live session; the changes are reported as
    /// `fault` events (see ``Session/setFaults(_:for:)``). A latency without a seed gets the
    /// session's and direction's own, as `--fault` gives it, so a fault read back from its
    /// `description` equals the active one.
    public func setFaults(session id: Int, direction: Direction, _ faults: [Fault]) {
        registry.handle(id)?.session.setFaults(
            faults.map { Inspector.seeded($0, session: id, direction: direction) }, for: direction)
    }
    /// Passes a FIN on in one direction of a live session.
    public func passFIN(session id: Int, direction: Direction) {
        guard let session = registry.handle(id)?.session else { return }
        Task { await session.passFIN(direction) }
    }
    /// The chunk a direction of a live session holds now, if any.
    public func held(session id: Int, direction: Direction) -> HeldChunk? {
        registry.handle(id)?.session.held(direction)
    }
    /// Replaces a held chunk of a live session (see ``Session/replace(_:hold:with:)``).
    public func replaceHeld(session id: Int, direction: Direction, hold: Int, with bytes: ByteBuffer) {
        registry.handle(id)?.session.replace(direction, hold: hold, with: bytes)
    }
    /// Drops a held chunk of a live session (see ``Session/drop(_:hold:)``).
    public func dropHeld(session id: Int, direction: Direction, hold: Int) {
        registry.handle(id)?.session.drop(direction, hold: hold)
    }
    /// Injects bytes into a direction of a live session (see ``Session/inject(_:_:)``).
    public func inject(
        session id: Int, direction: Direction, _ bytes: ByteBuffer,
        onRefusal: @escaping @Sendable (String) -> Void
    ) {
        guard let session = registry.handle(id)?.session else { return onRefusal("session #\(id) has ended") }
        Task {
            if let reason = await session.inject(direction, bytes) { onRefusal(reason) }
        }
    }
}

import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import NIOCore

/// What a key asks of the world outside the view: a ``SessionControl`` call, saving a capture,
/// changing the breakpoints, or quitting. Produced by ``KeyHandler``, carried out by ``TerminalUI``.
public enum Command: Sendable, Equatable {
    /// ``SessionControl/pause(session:direction:)``.
    case pause(session: Int, direction: Direction)
    /// ``SessionControl/resume(session:direction:)``.
    case resume(session: Int, direction: Direction)
    /// ``SessionControl/step(session:direction:)``.
    case step(session: Int, direction: Direction)
    /// ``SessionControl/resumeAll()``.
    case resumeAll
    /// ``SessionControl/kill(session:)``.
    case kill(session: Int)
    /// ``SessionControl/passFIN(session:direction:)``.
    case passFIN(session: Int, direction: Direction)
    /// ``SessionControl/setFaults(session:direction:_:)``: the direction's faults become `faults`.
    case setFaults(session: Int, direction: Direction, faults: [Fault])
    /// ``SessionControl/replaceHeld(session:direction:hold:with:)``: send `bytes` in place of
    /// held chunk number `hold`.
    case replaceHeld(session: Int, direction: Direction, hold: Int, bytes: [UInt8])
    /// ``SessionControl/dropHeld(session:direction:hold:)``.
    case dropHeld(session: Int, direction: Direction, hold: Int)
    /// ``SessionControl/inject(session:direction:_:onRefusal:)``: write `bytes` to the
    /// direction's destination.
    case inject(session: Int, direction: Direction, bytes: [UInt8])
    /// Write every session seen so far to a pcapng capture at `path`; an existing file is
    /// replaced only with `replacing` (the user said yes).
    case save(path: String, replacing: Bool)
    /// Add `breakpoint` to the engine's ``FlowTapKit/BreakpointSet``, or remove it when it is
    /// there (``FlowTapKit/BreakpointSet/toggle(_:)``): it acts on the next message of every
    /// session.
    case toggleBreakpoint(Breakpoint)
    /// Make sessions accepted from now on start paused (`true`) or flowing
    /// (``FlowTapKit/NewSessionPolicy/setPausing(_:)``).
    case pauseNewSessions(Bool)
    /// Make `direction` of sessions accepted from now on start with `faults`
    /// (``FlowTapKit/NewSessionPolicy/setFaults(_:for:)``).
    case setNewSessionFaults(direction: Direction, faults: [Fault])
    /// Leave the UI.
    case quit

    /// Sends a session command to `control`; returns false for `save`, `toggleBreakpoint`,
    /// `pauseNewSessions`, `setNewSessionFaults` and `quit`, which are not session commands. `onRefusal` hears why an `inject` could not be written (later,
    /// from another thread).
    @discardableResult
    public func send(
        to control: any SessionControl, onRefusal: @escaping @Sendable (String) -> Void = { _ in }
    ) -> Bool {
        switch self {
        case .pause(let session, let direction): control.pause(session: session, direction: direction)
        case .resume(let session, let direction): control.resume(session: session, direction: direction)
        case .step(let session, let direction): control.step(session: session, direction: direction)
        case .resumeAll: control.resumeAll()
        case .kill(let session): control.kill(session: session)
        case .passFIN(let session, let direction): control.passFIN(session: session, direction: direction)
        case .setFaults(let session, let direction, let faults):
            control.setFaults(session: session, direction: direction, faults)
        case .replaceHeld(let session, let direction, let hold, let bytes):
            control.replaceHeld(
                session: session, direction: direction, hold: hold, with: ByteBuffer(bytes: bytes))
        case .dropHeld(let session, let direction, let hold):
            control.dropHeld(session: session, direction: direction, hold: hold)
        case .inject(let session, let direction, let bytes):
            control.inject(
                session: session, direction: direction, ByteBuffer(bytes: bytes), onRefusal: onRefusal)
        case .save, .toggleBreakpoint, .pauseNewSessions, .setNewSessionFaults, .quit: return false
        }
        return true
    }
}

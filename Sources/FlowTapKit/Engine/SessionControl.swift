import FlowCore
import FlowEvents
import FlowFaults
import NIOCore

/// The commands a user gives to live sessions (the UI's keys). Every call returns at once; its
/// effect shows as events (`pause`, `resume`, `step`, `shutdown`, `fault`, errors). Unknown or
/// ended sessions are ignored.
public protocol SessionControl: Sendable {
    /// Holds the direction: at most one more chunk is read and held, nothing is delivered.
    func pause(session: Int, direction: Direction)
    /// Delivers the held chunk, if any, and lets the direction flow again.
    func resume(session: Int, direction: Direction)
    /// Delivers exactly one chunk of a paused direction: the held one, or the next one read.
    func step(session: Int, direction: Direction)
    /// Resumes every direction of every session.
    func resumeAll()
    /// Resets both sides of the session (TCP RST where the transport has one).
    func kill(session: Int)
    /// Ends the direction as if its source had sent FIN: the held chunk is delivered, nothing more
    /// is read, and the FIN is passed on to the destination.
    func passFIN(session: Int, direction: Direction)
    /// The faults active on one direction of a live session, in the order they act on written
    /// data; empty for an unknown or ended session.
    func faults(session: Int, direction: Direction) -> [Fault]
    /// Replaces the faults of one direction of a live session while data flows; each fault
    /// removed and each added is reported as a `fault` event.
    func setFaults(session: Int, direction: Direction, _ faults: [Fault])
    /// Sends `bytes` (at least one) in place of held chunk number `hold` of a paused direction
    /// (see ``HeldChunk/number``); the direction stays paused. Reported as `edit` then `data`.
    /// Ignored when that chunk is not held any more.
    func replaceHeld(session: Int, direction: Direction, hold: Int, with bytes: ByteBuffer)
    /// Discards held chunk number `hold` of a paused direction, reported as `drop`; the
    /// direction stays paused. Ignored when that chunk is not held any more.
    func dropHeld(session: Int, direction: Direction, hold: Int)
    /// Writes `bytes` to the direction's destination between two chunks (before a held chunk),
    /// reported as `inject` then `data`. When it cannot (the direction is shut or failed),
    /// `onRefusal` hears why.
    func inject(
        session: Int, direction: Direction, _ bytes: ByteBuffer,
        onRefusal: @escaping @Sendable (String) -> Void)
}

import FlowEvents
import NIOCore
import Synchronization

/// Pause, step and resume for one direction of a session, and the user's edits of what it holds.
///
/// The direction's tap calls ``pass(_:)`` after each read and before the chunk goes on. While
/// the gate is open it returns ``Verdict/deliver`` at once. While paused it holds the caller —
/// so the chunk just read is held, not delivered, and nothing more is read (the source is pushed
/// back on through TCP's window) — until ``step()`` lets exactly this one chunk through,
/// ``resume()`` opens the gate, ``replace(hold:with:)`` sends other bytes in its place, or
/// ``drop(hold:)`` discards it. A step while nothing is held lets the next chunk through.
/// Nothing is ever reordered, and nothing is lost unless the user drops or replaces it.
public final class Gate: Sendable {
    /// What the tap does with the chunk it passed to the gate.
    public enum Verdict: Sendable, Equatable {
        /// Deliver the chunk as read.
        case deliver
        /// Deliver these bytes instead (the user edited the held chunk).
        case replace(ByteBuffer)
        /// Deliver nothing (the user dropped the held chunk); the tap reads the next one.
        case drop
    }

    private struct State {
        var paused: Bool
        var credits = 0
        var waiter: CheckedContinuation<Verdict, Never>?
        var held: HeldChunk?
        var holds = 0
        var opened = false

        /// Takes the waiter and the held chunk away, for a verdict.
        mutating func take() -> CheckedContinuation<Verdict, Never>? {
            defer {
                waiter = nil
                held = nil
            }
            return waiter
        }
    }
    private let state: Mutex<State>
    private let onHold: @Sendable (HeldChunk?) -> Void
    private let onDrop: @Sendable (HeldChunk) -> Void

    /// A gate, paused or open; `onHold` hears when a chunk starts being held and when it stops
    /// being held (`nil`: it went on, replaced, or dropped); `onDrop` hears of a dropped chunk
    /// before the reader goes on (so nothing the reader does next is reported before the drop).
    public init(
        paused: Bool = false, onHold: @escaping @Sendable (HeldChunk?) -> Void = { _ in },
        onDrop: @escaping @Sendable (HeldChunk) -> Void = { _ in }
    ) {
        state = Mutex(State(paused: paused))
        self.onHold = onHold
        self.onDrop = onDrop
    }

    /// True while paused.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// The chunk held now, if any.
    public var held: HeldChunk? { state.withLock { $0.held } }

    /// Returns what to do with `buffer`, just read: at once ``Verdict/deliver`` when open (or
    /// after ``release()``), else the verdict of the step, resume, replace or drop that ends
    /// its hold.
    public func pass(_ buffer: ByteBuffer) async -> Verdict {
        let mustWait = state.withLock { s -> Bool in
            if !s.paused || s.opened { return false }
            if s.credits > 0 {
                s.credits -= 1
                return false
            }
            return true
        }
        guard mustWait else { return .deliver }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Verdict, Never>) in
            let hold = state.withLock { s -> HeldChunk? in
                if !s.paused || s.opened { return nil }
                if s.credits > 0 {
                    s.credits -= 1
                    return nil
                }
                s.holds += 1
                s.waiter = continuation
                s.held = HeldChunk(number: s.holds, bytes: buffer)
                return s.held
            }
            if let hold {
                onHold(hold)
            } else {
                continuation.resume(returning: .deliver)
            }
        }
    }

    /// Holds the direction from the next chunk on. Returns false if it was paused already.
    @discardableResult
    public func pause() -> Bool {
        state.withLock { s in
            defer { s.paused = true }
            return !s.paused
        }
    }

    /// Opens the gate and lets a held chunk go on. Returns false if it was not paused.
    @discardableResult
    public func resume() -> Bool {
        let (was, waiter) = state.withLock { s in
            let result = (s.paused, s.take())
            s.paused = false
            s.credits = 0
            return result
        }
        settle(waiter, .deliver)
        return was
    }

    /// Lets exactly one chunk through a paused gate: the held one, or else the next one read.
    /// Returns false (and does nothing) when the gate is open.
    @discardableResult
    public func step() -> Bool {
        let (paused, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Verdict, Never>?) in
            guard s.paused else { return (false, nil) }
            if s.waiter != nil { return (true, s.take()) }
            s.credits += 1
            return (true, nil)
        }
        settle(waiter, .deliver)
        return paused
    }

    /// Sends `bytes` (at least one) in place of held chunk number `hold`; the gate stays paused.
    /// Returns false (and does nothing) when that chunk is not held any more (or never was).
    @discardableResult
    public func replace(hold: Int, with bytes: ByteBuffer) -> Bool {
        precondition(bytes.readableBytes > 0, "a replacement has at least one byte")
        return settle(hold: hold, .replace(bytes))
    }

    /// Discards held chunk number `hold`: it is never delivered, and the tap reads (and, the
    /// gate being paused, holds) the next chunk. Returns false (and does nothing) when that
    /// chunk is not held any more.
    @discardableResult
    public func drop(hold: Int) -> Bool { settle(hold: hold, .drop) }

    /// Opens the gate for good (the session is ending): a held chunk goes on, and no later chunk
    /// waits. Pausing has no effect afterwards.
    public func release() {
        let waiter = state.withLock { s in
            s.opened = true
            return s.take()
        }
        settle(waiter, .deliver)
    }

    private func settle(hold: Int, _ verdict: Verdict) -> Bool {
        let taken = state.withLock { s -> (CheckedContinuation<Verdict, Never>, HeldChunk)? in
            guard let held = s.held, held.number == hold, let waiter = s.take() else { return nil }
            return (waiter, held)
        }
        guard let (waiter, held) = taken else { return false }
        if verdict == .drop { onDrop(held) }
        settle(waiter, verdict)
        return true
    }

    private func settle(_ waiter: CheckedContinuation<Verdict, Never>?, _ verdict: Verdict) {
        guard let waiter else { return }
        onHold(nil)
        waiter.resume(returning: verdict)
    }
}

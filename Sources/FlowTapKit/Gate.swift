import Synchronization

/// Pause, step and resume for one direction of a session.
///
/// The direction's tap calls ``pass(bytes:)`` after each read and before the chunk goes on.
/// While the gate is open it returns at once. While paused it holds the caller — so the chunk
/// just read is held, not delivered, and nothing more is read (the source is pushed back on
/// through TCP's window) — until ``step()`` lets exactly this one chunk through or ``resume()``
/// opens the gate. A step while nothing is held lets the next chunk through. Nothing is ever
/// dropped or reordered: the gate only delays.
public final class Gate: Sendable {
    private struct State {
        var paused: Bool
        var credits = 0
        var waiter: CheckedContinuation<Void, Never>?
        var heldBytes: Int?
        var opened = false
    }
    private let state: Mutex<State>
    private let onHold: @Sendable (Int?) -> Void

    /// A gate, paused or open; `onHold` hears when a chunk starts being held (its size) and when
    /// it goes on (`nil`).
    public init(paused: Bool = false, onHold: @escaping @Sendable (Int?) -> Void = { _ in }) {
        state = Mutex(State(paused: paused))
        self.onHold = onHold
    }

    /// True while paused.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// The size of the chunk held now, if any.
    public var heldBytes: Int? { state.withLock { $0.heldBytes } }

    /// Returns when a chunk of `bytes` bytes may go on: at once when open (or after
    /// ``release()``), else after a step or a resume.
    public func pass(bytes: Int) async {
        let mustWait = state.withLock { s -> Bool in
            if !s.paused || s.opened { return false }
            if s.credits > 0 {
                s.credits -= 1
                return false
            }
            return true
        }
        guard mustWait else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let go = state.withLock { s -> Bool in
                if !s.paused || s.opened { return true }
                if s.credits > 0 {
                    s.credits -= 1
                    return true
                }
                s.waiter = continuation
                s.heldBytes = bytes
                return false
            }
            if go {
                continuation.resume()
            } else {
                onHold(bytes)
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
            let result = (s.paused, s.waiter)
            s.paused = false
            s.credits = 0
            s.waiter = nil
            s.heldBytes = nil
            return result
        }
        if let waiter {
            onHold(nil)
            waiter.resume()
        }
        return was
    }

    /// Lets exactly one chunk through a paused gate: the held one, or else the next one read.
    /// Returns false (and does nothing) when the gate is open.
    @discardableResult
    public func step() -> Bool {
        let (paused, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard s.paused else { return (false, nil) }
            if let waiter = s.waiter {
                s.waiter = nil
                s.heldBytes = nil
                return (true, waiter)
            }
            s.credits += 1
            return (true, nil)
        }
        if let waiter {
            onHold(nil)
            waiter.resume()
        }
        return paused
    }

    /// Opens the gate for good (the session is ending): a held chunk goes on, and no later chunk
    /// waits. Pausing has no effect afterwards.
    public func release() {
        let waiter = state.withLock { s in
            s.opened = true
            defer {
                s.waiter = nil
                s.heldBytes = nil
            }
            return s.waiter
        }
        if let waiter {
            onHold(nil)
            waiter.resume()
        }
    }
}

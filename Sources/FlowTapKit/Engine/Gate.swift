import FlowCore
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
/// ``drop(hold:)`` discards it. A step while nothing is held lets the next chunk through;
/// likewise ``dropNext()`` and ``replaceNext(with:)`` (headless control, which cannot see hold
/// numbers) act on the chunk held now or, when none is, on the next one read: steps, drops and
/// replacements given while nothing is held apply to the next chunks in the order given.
/// Nothing is ever reordered, and nothing is lost unless the user drops or replaces it (or the
/// session fails: ``abandon()``).
///
/// Order of the reports: the hold and its end (`onHold`) are reported by the task that passes
/// the chunk, in that order, and the end before the chunk goes on; a step, resume, edit or drop
/// from another task only gives the verdict. A hold is visible (``held``, and to
/// ``replace(hold:with:)`` and ``drop(hold:)``) only once it was reported, and a drop is
/// reported (`onDrop`) by the dropping caller before ``drop(hold:)`` returns, before the end of
/// the hold is. So a direction's events read held, (drop), released, always in that order.
/// A task cancelled while its chunk is held stops waiting: the hold ends (reported as released)
/// and ``pass(_:)`` throws `CancellationError`, the chunk delivered to nobody.
public final class Gate: Sendable {
    /// What the tap does with the chunk it passed to the gate.
    public enum Verdict: Sendable, Equatable {
        /// Deliver the chunk as read.
        case deliver
        /// Deliver these bytes instead (the user edited the held chunk).
        case replace(ByteBuffer)
        /// Deliver nothing (the user dropped the held chunk); the tap reads the next one.
        case drop
        /// Deliver nothing and read no more: the session is ending on a failure (``abandon()``).
        case abandon
    }

    private struct State: Sendable {
        var paused: Bool
        /// Verdicts given while nothing (reported) was held: steps (`deliver`), drops and
        /// replacements for the next chunks, in the order given.
        var pending: [Verdict] = []
        /// The chunk held now, until a verdict ends its hold (or a drop claims it).
        var held: HeldChunk?
        /// Whether `held` was reported: only then is it shown and can it be edited or dropped.
        var reported = false
        /// The verdict on the last hold, until its passing task takes it.
        var verdict: Verdict?
        var holds = 0
        var opened = false
        /// The breakpoint that paused the gate for the next chunk (``holdNext(breakpoint:)``).
        var breakpoint: String?

        /// Ends the current hold with `verdict`; false (and nothing changes) when nothing is held.
        mutating func settle(_ verdict: Verdict) -> Bool {
            guard held != nil else { return false }
            held = nil
            self.verdict = verdict
            return true
        }

        /// The passing task's take: the verdict, once there is one.
        mutating func takeVerdict() -> Verdict? {
            defer { verdict = nil }
            return verdict
        }
    }
    private let state: AsyncMonitor<State>
    /// Nanoseconds chunks have spent held in all (holds that ended).
    private let heldNanoseconds = Atomic<UInt64>(0)
    private let onHold: @Sendable (HeldChunk?) -> Void
    private let onDrop: @Sendable (HeldChunk) -> Void

    /// A gate, paused or open; `onHold` hears when a chunk starts being held and when it stops
    /// being held (`nil`: it went on, replaced, dropped, or its task was cancelled); `onDrop`
    /// hears of a dropped chunk before the reader goes on (so nothing the reader does next is
    /// reported before the drop). Both are called by the task passing the chunk.
    public init(
        paused: Bool = false, onHold: @escaping @Sendable (HeldChunk?) -> Void = { _ in },
        onDrop: @escaping @Sendable (HeldChunk) -> Void = { _ in }
    ) {
        state = AsyncMonitor(State(paused: paused))
        self.onHold = onHold
        self.onDrop = onDrop
    }

    /// True while paused.
    public var isPaused: Bool { state.withLock { $0.paused } }

    /// True while a chunk read now would wait: paused, and not opened for good by ``release()``
    /// or ``abandon()``.
    public var holdsBack: Bool { state.withLock { $0.paused && !$0.opened } }

    /// How long chunks have been held at this gate in all, in nanoseconds (holds that ended): a
    /// reply's latency leaves out the time its request's direction was held
    /// (``SessionDecoder``).
    public var heldTime: UInt64 { heldNanoseconds.load(ordering: .acquiring) }

    /// The chunk held now, if any (once its hold was reported).
    public var held: HeldChunk? { state.withLock { $0.reported ? $0.held : nil } }

    /// Returns what to do with `buffer`, just read: at once ``Verdict/deliver`` when open (or
    /// after ``release()``), else the verdict of the step, resume, replace or drop that ends
    /// its hold.
    /// - Throws: `CancellationError` when the task is cancelled while the chunk is held (unless
    ///   a verdict came first): the hold ends, reported as released, and the chunk is neither
    ///   delivered nor dropped by the gate — it is the caller's to account for.
    public func pass(_ buffer: ByteBuffer) async throws(CancellationError) -> Verdict {
        switch begin(buffer) {
        case .decided(let verdict): return verdict
        case .held(let hold): return try await wait(hold)
        }
    }

    /// What ``begin(_:)`` found: the verdict at once, or a chunk now held, to ``wait(_:)`` on.
    enum Start {
        case decided(Verdict)
        case held(HeldChunk)
    }

    /// The part of ``pass(_:)`` that never suspends: an open gate's ``Verdict/deliver``, a verdict
    /// given ahead (a drop reported here), or the chunk's hold, which the caller must then
    /// ``wait(_:)`` on. The tap calls it directly, so an open gate costs no async call.
    func begin(_ buffer: ByteBuffer) -> Start {
        enum Found {
            case hold(HeldChunk)
            case given(Verdict, HeldChunk)
        }
        let found = state.withLock { s -> Found? in
            let breakpoint = s.breakpoint
            s.breakpoint = nil
            if !s.paused || s.opened { return nil }
            s.holds += 1
            let chunk = HeldChunk(number: s.holds, bytes: buffer, breakpoint: breakpoint)
            if !s.pending.isEmpty { return .given(s.pending.removeFirst(), chunk) }
            s.held = chunk
            s.reported = false
            s.verdict = nil
            return .hold(chunk)
        }
        switch found {
        case nil: return .decided(.deliver)
        case .given(let verdict, let chunk):
            // A step, drop or replacement given ahead: the chunk is never held.
            if verdict == .drop { onDrop(chunk) }
            return .decided(verdict)
        case .hold(let hold): return .held(hold)
        }
    }

    /// The rest of ``pass(_:)`` for a chunk ``begin(_:)`` held: reports the hold, waits for its
    /// verdict, reports its end.
    func wait(_ hold: HeldChunk) async throws(CancellationError) -> Verdict {
        let since = ContinuousClock.now
        defer {
            // A monotonic clock: 0 ≤ seconds, and a hold of more than a century counts as one.
            let (seconds, attoseconds) = since.duration(to: .now).components
            let nanoseconds =
                UInt64(min(max(seconds, 0), 3_155_760_000)) * 1_000_000_000
                + UInt64(max(attoseconds, 0) / 1_000_000_000)
            heldNanoseconds.wrappingAdd(nanoseconds, ordering: .releasing)
        }
        onHold(hold)
        // A drop or replacement given between the hold and its report applies now, reported
        // in order: held, (drop), released.
        let given = state.withLock { s -> Verdict? in
            guard s.held?.number == hold.number else { return nil }
            s.reported = true
            guard !s.pending.isEmpty else { return nil }
            s.held = nil
            return s.pending.removeFirst()
        }
        let verdict: Verdict
        if let given {
            if given == .drop { onDrop(hold) }
            verdict = given
        } else {
            do {
                verdict = try await state.waitToTake { $0.takeVerdict() }
            } catch {
                state.withLock { s in
                    if s.held?.number == hold.number { s.held = nil }
                }
                onHold(nil)
                throw error
            }
        }
        onHold(nil)
        return verdict
    }

    /// Holds the direction from the next chunk on. Returns false if it was paused already.
    @discardableResult
    public func pause() -> Bool {
        state.withLock { s in
            defer { s.paused = true }
            return !s.paused
        }
    }

    /// Pauses the gate (as ``pause()``) because the next chunk ``pass(_:)`` gets matched
    /// `breakpoint`: that chunk's hold carries it (``HeldChunk/breakpoint``). Returns false if
    /// the gate was paused already (the chunk is held all the same, with the breakpoint named),
    /// or was opened for good (nothing changes).
    @discardableResult
    public func holdNext(breakpoint: String) -> Bool {
        state.withLock { s in
            guard !s.opened else { return false }
            s.breakpoint = breakpoint
            defer { s.paused = true }
            return !s.paused
        }
    }

    /// Opens the gate and lets a held chunk go on. Returns false if it was not paused.
    @discardableResult
    public func resume() -> Bool {
        state.withLock { s in
            let was = s.paused
            s.paused = false
            s.pending.removeAll()
            _ = s.settle(.deliver)
            return was
        }
    }

    /// Lets exactly one chunk through a paused gate: the held one, or else the next one read.
    /// Returns false (and does nothing) when the gate is open.
    @discardableResult
    public func step() -> Bool {
        state.withLock { s in
            guard s.paused else { return false }
            if !s.reported || !s.settle(.deliver) { s.pending.append(.deliver) }
            return true
        }
    }

    /// Discards the chunk held now or, when none is held, the next chunk read (after those
    /// already given a step, drop or replacement): it is never delivered, reported through
    /// `onDrop`, and the gate stays paused. Returns false (and does nothing) when the gate is
    /// open.
    @discardableResult
    public func dropNext() -> Bool {
        let outcome = state.withLock { s -> (given: Bool, claimed: HeldChunk?) in
            guard s.paused, !s.opened else { return (false, nil) }
            if s.reported, let held = s.held {
                s.held = nil
                return (true, held)
            }
            s.pending.append(.drop)
            return (true, nil)
        }
        if let claimed = outcome.claimed {
            // As in drop(hold:): claimed, reported, and only then given as the verdict.
            onDrop(claimed)
            state.withLock { $0.verdict = .drop }
        }
        return outcome.given
    }

    /// Sends `bytes` (at least one) in place of the chunk held now or, when none is held, of the
    /// next chunk read (after those already given a step, drop or replacement); the gate stays
    /// paused. Returns false (and does nothing) when the gate is open.
    @discardableResult
    public func replaceNext(with bytes: ByteBuffer) -> Bool {
        precondition(bytes.readableBytes > 0, "a replacement has at least one byte")
        return state.withLock { s in
            guard s.paused, !s.opened else { return false }
            if !s.reported || !s.settle(.replace(bytes)) { s.pending.append(.replace(bytes)) }
            return true
        }
    }

    /// Opens the gate for good because the session is failing: a held chunk is not delivered
    /// (its ``pass(_:)`` returns ``Verdict/abandon``), steps and drops given ahead are
    /// forgotten, and no later chunk waits.
    public func abandon() { openForGood(settling: .abandon) }

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
    public func drop(hold: Int) -> Bool {
        // Claimed first (no other verdict can end this hold any more), reported, and only then
        // given as the verdict: the drop is reported before the hold's end and before any later
        // command of the caller.
        let claimed = state.withLock { s -> HeldChunk? in
            guard s.reported, let held = s.held, held.number == hold else { return nil }
            s.held = nil
            return held
        }
        guard let claimed else { return false }
        onDrop(claimed)
        state.withLock { $0.verdict = .drop }
        return true
    }

    /// Opens the gate for good (the session is ending): a held chunk goes on, and no later chunk
    /// waits. Pausing has no effect afterwards.
    public func release() { openForGood(settling: .deliver) }

    /// Opens the gate for good, ending a hold with `verdict` and forgetting verdicts given ahead.
    private func openForGood(settling verdict: Verdict) {
        state.withLock { s in
            s.opened = true
            s.pending.removeAll()
            _ = s.settle(verdict)
        }
    }

    private func settle(hold: Int, _ verdict: Verdict) -> Bool {
        state.withLock { s in
            guard s.reported, s.held?.number == hold else { return false }
            return s.settle(verdict)
        }
    }
}

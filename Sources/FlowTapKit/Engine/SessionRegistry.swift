import FlowCore
import Synchronization

/// The live sessions of a listener, each running as a child task of the registry's task group.
///
/// ``run(_:)`` owns the task group: the accept loop runs inside it and starts each session with
/// ``Sessions/start(_:)``, which numbers it (1, 2, 3…) at once, so a session has its number
/// before its connect finishes. The registry knows which sessions are live, the handle each
/// one ``attach(_:to:)``ed once it exists (an ``Inspector``'s ``Session``), and lets a task wait
/// until all have ended (``waitAllEnded(atMost:)``), or until fewer than a cap are live
/// (``waitUntilFewer(than:)``), without polling.
public final class SessionRegistry<Handle: Sendable>: Sendable {
    struct State: Sendable {
        var nextID = 1
        var live: Set<Int> = []
        var handles: [Int: Handle] = [:]
        var ended = 0
        var stopping = false
        /// Sessions whose end is not counted by ``waitForFirstEnd()`` (see ``uncount(_:)``).
        var uncounted: Set<Int> = []
    }

    private let state = AsyncMonitor(State())

    /// An empty registry.
    public init() {}

    /// How ``run(_:)``'s body starts sessions: one child task of the registry's group each.
    public struct Sessions: ~Copyable {
        fileprivate var group: DiscardingTaskGroup
        fileprivate let registry: SessionRegistry

        /// Numbers a new session, counts it live, and runs `serve` with its number as a child
        /// task; when `serve` returns, the session has ended. Returns the number.
        @discardableResult
        public mutating func start(_ serve: @escaping @Sendable (Int) async -> Void) -> Int {
            let id = registry.state.withLock { s in
                defer { s.nextID += 1 }
                s.live.insert(s.nextID)
                return s.nextID
            }
            let registry = self.registry
            group.addTask {
                await serve(id)
                registry.end(id)
            }
            return id
        }
    }

    /// Runs `body` (an accept loop) with a way to start sessions as child tasks, and returns
    /// once `body` has returned and every session it started has ended.
    public func run(_ body: (inout Sessions) async -> Void) async {
        await withDiscardingTaskGroup { group in
            var sessions = Sessions(group: group, registry: self)
            await body(&sessions)
        }
    }

    /// Makes `handle` the way to reach live session `id` (see ``handle(_:)``). Returns false
    /// when the registry is stopping (the caller should end the session), true otherwise.
    @discardableResult
    public func attach(_ handle: Handle, to id: Int) -> Bool {
        state.withLock { s in
            if s.live.contains(id) { s.handles[id] = handle }
            return !s.stopping
        }
    }

    /// Makes live session `id`'s end not count for ``waitForFirstEnd()`` (`--once`): a session
    /// `--only` passes through unobserved.
    public func uncount(_ id: Int) {
        state.withLock { s in
            if s.live.contains(id) { s.uncounted.insert(id) }
        }
    }

    /// The handle of live session `id`, if it has one.
    public func handle(_ id: Int) -> Handle? { state.withLock { $0.handles[id] } }

    /// The handles of every live session, in no particular order.
    public var handles: [Handle] { state.withLock { Array($0.handles.values) } }

    /// How many sessions are live (started and not ended).
    public var liveCount: Int { state.withLock { $0.live.count } }

    /// The number the newest session got (0 before the first).
    public var lastNumber: Int { state.withLock { $0.nextID - 1 } }

    /// Whether ``beginStopping()`` was called.
    public var isStopping: Bool { state.withLock { $0.stopping } }

    /// Marks the registry as stopping; returns true for the first call only. Waits in
    /// ``waitUntilFewer(than:)`` then end.
    @discardableResult
    public func beginStopping() -> Bool {
        state.withLock { s in
            defer { s.stopping = true }
            return !s.stopping
        }
    }

    /// Suspends until fewer than `cap` sessions are live (true) or the registry is stopping or
    /// the task cancelled (false).
    public func waitUntilFewer(than cap: Int) async -> Bool {
        await state.waitOrCancel { $0.stopping || $0.live.count < cap }
        return state.withLock { !$0.stopping && $0.live.count < cap } && !Task.isCancelled
    }

    /// Suspends until no session is live, at most `limit`; returns whether none is.
    public func waitAllEnded(atMost limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.state.waitOrCancel { $0.live.isEmpty } }
            group.addTask {
                do { try await Task.sleep(for: limit) } catch {}
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || liveCount == 0
        }
    }

    /// Suspends until a session has ended (true) or the registry is stopping or the task
    /// cancelled (false): what `--once` waits for.
    public func waitForFirstEnd() async -> Bool {
        await state.waitOrCancel { $0.stopping || $0.ended > 0 }
        return state.withLock { $0.ended > 0 && !$0.stopping }
    }

    /// Suspends until no session is live (or the task is cancelled).
    public func waitAllEnded() async {
        await state.waitOrCancel { $0.live.isEmpty }
    }

    private func end(_ id: Int) {
        state.withLock { s in
            s.live.remove(id)
            s.handles[id] = nil
            if s.uncounted.remove(id) == nil { s.ended += 1 }
        }
    }
}

extension AsyncMonitor {
    /// Waits until `condition` holds (true), or until the task is cancelled (false).
    @discardableResult
    fileprivate func waitOrCancel(until condition: @escaping @Sendable (borrowing State) -> Bool) async
        -> Bool
    {
        do {
            try await wait(until: condition)
            return true
        } catch {
            return false
        }
    }
}

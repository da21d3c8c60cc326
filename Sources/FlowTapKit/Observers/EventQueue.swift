import FlowEvents
import Foundation
import NIOCore
import Synchronization

/// A bounded queue between the sessions and a slow reader of their events (the printed log, the
/// capture), with a thread of its own for the reader.
///
/// - ``record(_:)`` never blocks and never drops: the event is queued and the reader's thread
///   woken. It is called on the data path (an event-loop thread), so it only takes a lock.
/// - Back-pressure is asynchronous: a session awaits ``room()`` before it reports a chunk, and
///   is suspended while the queue holds more than `maxBytes` of chunk storage or `maxEvents`
///   events. No thread waits for the reader but the reader's own: a stalled stdout stops the
///   sessions that produce output, never the event loop that others share, nor the accept loop.
/// - The reader gets the events in recording order, in batches (everything queued at once), so
///   it can write a batch with one system call.
/// - ``finish(waitingAtMost:)`` lets the reader drain what was recorded, then stops its thread;
///   a reader that does not drain in time (stdout nobody reads) is abandoned so the process can
///   exit, and every session waiting for room goes on.
///
/// The bound counts the storage a queued chunk keeps alive (a slice of a 64 KiB read buffer keeps
/// all of it), not just its readable bytes.
public final class EventQueue: InspectorObserver, Sendable {
    private struct State {
        var events: [SessionEvent] = []
        var bytes = 0
        /// The reader is running a batch of this many storage bytes.
        var inFlight = 0
        var readerSleeping = false
        var finished = false
        var abandoned = false
        /// ``stopPushingBack()`` was called: producers never wait again.
        var unbounded = false
        /// The reader's thread has ended (after ``finish``): later events are handed on at once.
        var readerGone = false
        var drained: [CheckedContinuation<Void, Never>] = []
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter: UInt64 = 0

        func hasRoom(maxBytes: Int, maxEvents: Int) -> Bool {
            abandoned || unbounded || (bytes + inFlight < maxBytes && events.count < maxEvents)
        }
    }

    private let state = Mutex(State())
    private let wake = NSCondition()
    private let consumer: any EventConsumer
    /// The most chunk storage queued (and being read) before producers wait.
    public let maxBytes: Int
    /// The most events queued before producers wait.
    public let maxEvents: Int

    /// A queue handing events to `consumer` on a thread named `name`.
    public init(
        _ consumer: any EventConsumer, name: String = "flowtap.events", maxBytes: Int = 8 << 20,
        maxEvents: Int = 65_536
    ) {
        self.consumer = consumer
        self.maxBytes = maxBytes
        self.maxEvents = maxEvents
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues `event` for the reader; never blocks, never drops (see the type's documentation).
    /// After ``finish(waitingAtMost:)`` has drained the queue, the event is handed on at once, on
    /// the caller's thread; after the queue was abandoned, it is dropped.
    public func record(_ event: SessionEvent) {
        let size = Self.storage(event)
        enum Action { case none, wake, direct }
        let action = state.withLock { s -> Action in
            if s.abandoned { return .none }
            if s.readerGone { return .direct }
            s.events.append(event)
            s.bytes += size
            return s.readerSleeping ? .wake : .none
        }
        switch action {
        case .none: break
        case .wake: signalReader()
        case .direct: consumer.consume([event][...])
        }
    }

    /// Returns when the queue has room (at once, usually), or when the calling task is cancelled,
    /// or once the queue was abandoned by ``finish(waitingAtMost:)``.
    public func room() async {
        if state.withLock({ $0.hasRoom(maxBytes: maxBytes, maxEvents: maxEvents) }) { return }
        let id = state.withLock { s -> UInt64 in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.hasRoom(maxBytes: maxBytes, maxEvents: maxEvents) || Task.isCancelled { return true }
                    s.waiters.append((id, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    /// Stops pushing back: waiting producers go on and later ones never wait; events are still
    /// all handed on (see ``InspectorObserver/stopPushingBack()``).
    public func stopPushingBack() {
        let waiters = state.withLock { s in
            s.unbounded = true
            defer { s.waiters = [] }
            return s.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Lets the reader hand on everything recorded so far, then stops its thread. If it has not
    /// drained after `limit` (a reader blocked on a pipe nobody reads), the queue is abandoned:
    /// waiting producers go on, later events are dropped, and this returns `false`.
    @discardableResult
    public func finish(waitingAtMost limit: Duration = .seconds(3600)) async -> Bool {
        let idle = state.withLock { s -> Bool in
            s.finished = true
            return s.events.isEmpty && s.inFlight == 0
        }
        signalReader()
        if idle { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let done = self.state.withLock { s -> Bool in
                        if s.events.isEmpty && s.inFlight == 0 || s.abandoned { return true }
                        s.drained.append(continuation)
                        return false
                    }
                    if done { continuation.resume() }
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: limit)
                    self.abandon()
                } catch {
                    // Cancelled: the reader drained in time.
                }
            }
            await group.next()
            group.cancelAll()
        }
        return !state.withLock { $0.abandoned }
    }

    /// Gives up on the reader: producers waiting for room go on, and so does ``finish``.
    private func abandon() {
        let (waiters, drained) = state.withLock { s in
            guard !s.abandoned else {
                return ([CheckedContinuation<Void, Never>](), [CheckedContinuation<Void, Never>]())
            }
            let done = s.events.isEmpty && s.inFlight == 0
            if !done { s.abandoned = true }
            defer {
                s.waiters = []
                if !done { s.drained = [] }
            }
            return (s.waiters.map(\.continuation), done ? [] : s.drained)
        }
        for waiter in waiters { waiter.resume() }
        for waiter in drained { waiter.resume() }
    }

    private func signalReader() {
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    private func run() {
        while true {
            wake.lock()
            var batch: [SessionEvent] = []
            var stop = false
            while true {
                let taken = state.withLock { s -> ([SessionEvent], Bool) in
                    if s.events.isEmpty {
                        s.readerSleeping = !s.finished
                        return ([], s.finished)
                    }
                    s.readerSleeping = false
                    let events = s.events
                    s.events = []
                    s.inFlight = s.bytes
                    s.bytes = 0
                    return (events, false)
                }
                batch = taken.0
                stop = taken.1
                if !batch.isEmpty || stop { break }
                wake.wait()
            }
            wake.unlock()
            if !batch.isEmpty { consumer.consume(batch[...]) }
            let (waiters, drained) = state.withLock { s in
                s.inFlight = 0
                let room = s.hasRoom(maxBytes: maxBytes, maxEvents: maxEvents)
                let done = s.finished && s.events.isEmpty
                defer {
                    if room { s.waiters = [] }
                    if done { s.drained = [] }
                }
                return (room ? s.waiters.map(\.continuation) : [], done ? s.drained : [])
            }
            for waiter in waiters { waiter.resume() }
            for waiter in drained { waiter.resume() }
            if stop && batch.isEmpty {
                let late = state.withLock { s -> [SessionEvent] in
                    s.readerGone = true
                    defer { s.events = [] }
                    return s.events
                }
                if !late.isEmpty { consumer.consume(late[...]) }
                return
            }
        }
    }

    /// The memory a queued event keeps alive: the storage of its chunk (or original).
    static func storage(_ event: SessionEvent) -> Int {
        switch event.kind {
        case .data(_, _, let bytes): max(bytes.readableBytes, bytes.storageCapacity)
        case .edit(_, _, _, _, let original?), .drop(_, _, _, let original?):
            max(original.readableBytes, original.storageCapacity)
        default: 64
        }
    }
}

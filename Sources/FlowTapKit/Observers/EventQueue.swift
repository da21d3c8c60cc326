import FlowCore
import FlowEvents
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
    private struct State: Sendable {
        let maxBytes: Int
        let maxEvents: Int
        var events: [SessionEvent] = []
        var bytes = 0
        /// The reader is running a batch of this many storage bytes.
        var inFlight = 0
        var readerSleeping = false
        /// The reader is letting events gather (see ``EventQueue/gatherWindow``): a producer
        /// that fills a batch wakes it early.
        var gathering = false
        var finished = false
        var abandoned = false
        /// ``stopPushingBack()`` was called: producers never wait again.
        var unbounded = false
        /// The reader's thread has ended (after ``finish``): later events are handed on at once.
        var readerGone = false

        var hasRoom: Bool {
            abandoned || unbounded || (bytes + inFlight < maxBytes && events.count < maxEvents)
        }
        var drained: Bool { abandoned || (events.isEmpty && inFlight == 0) }
        /// Enough is queued for one batch: the reader need not let more gather.
        var batchIsFull: Bool { events.count >= 1024 || bytes >= 256 << 10 }
    }

    /// The queue, and the producers waiting for room and the finisher waiting for the drain.
    private let state: AsyncMonitor<State>
    /// Where the reader's thread sleeps while the queue is empty.
    private let wake = WakeSignal()
    private let consumer: any EventConsumer
    /// The most chunk storage queued (and being read) before producers wait.
    public let maxBytes: Int
    /// The most events queued before producers wait.
    public let maxEvents: Int

    /// How long (in seconds) the reader lets events gather after its first wake, unless a batch
    /// fills first (1024 events or 256 KiB): a printed line or a capture block is at most this
    /// late. With one Redis client, 1 ms woke the reader about once per request and cost ~6%
    /// of flowtap's CPU in wake-ups alone; the default is 10 ms.
    private let gatherWindow: Double

    /// Whether the events handed on keep the bytes of their chunks (see ``init(_:name:keepsBytes:maxBytes:maxEvents:gatherWindow:)``).
    public let keepsBytes: Bool

    /// A queue handing events to `consumer` on a thread named `name`. With `keepsBytes` false
    /// (a log that prints sizes, not bytes), a `data` event is queued with a chunk of the same
    /// length whose bytes are not the real ones (shared zeros), so the queue keeps no chunk of
    /// the traffic alive. `gatherWindow` is how long the reader lets events gather after a
    /// wake before it takes them, unless a batch fills first.
    public init(
        _ consumer: any EventConsumer, name: String = "flowtap.events", keepsBytes: Bool = true,
        maxBytes: Int = 8 << 20, maxEvents: Int = 65_536, gatherWindow: Duration = .milliseconds(10)
    ) {
        let (seconds, attoseconds) = gatherWindow.components
        self.gatherWindow = Double(seconds) + Double(attoseconds) / 1e18
        self.consumer = consumer
        self.keepsBytes = keepsBytes
        self.maxBytes = maxBytes
        self.maxEvents = maxEvents
        state = AsyncMonitor(State(maxBytes: maxBytes, maxEvents: maxEvents))
        DetachedThread.start(name: name) { [self] in run() }
    }

    /// Queues `event` for the reader; never blocks, never drops (see the type's documentation).
    /// After ``finish(waitingAtMost:)`` has drained the queue, the event is handed on at once, on
    /// the caller's thread; after the queue was abandoned, it is dropped.
    public func record(_ event: SessionEvent) {
        var event = event
        if !keepsBytes, case .data(let direction, let offset, let bytes) = event.kind {
            event.kind = .data(direction, offset: offset, bytes: Self.placeholder(bytes.readableBytes))
        }
        let size = keepsBytes ? Self.storage(event) : 64
        enum Action { case none, wake, direct }
        let action = state.withLock { s -> Action in
            if s.abandoned { return .none }
            if s.readerGone { return .direct }
            s.events.append(event)
            s.bytes += size
            if s.gathering && s.batchIsFull {
                s.gathering = false
                return .wake
            }
            // One wake per sleep: the reader takes everything queued when it runs.
            guard s.readerSleeping else { return .none }
            s.readerSleeping = false
            return .wake
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
        do {
            try await state.wait { $0.hasRoom }
        } catch {
            // Cancelled: the task stops waiting (the session is being torn down).
        }
    }

    /// Whether the queue has room now (``room()`` would return at once).
    public var hasRoom: Bool { state.withLock { $0.hasRoom } }

    /// Stops pushing back: waiting producers go on and later ones never wait; events are still
    /// all handed on (see ``InspectorObserver/stopPushingBack()``).
    public func stopPushingBack() {
        state.withLock { $0.unbounded = true }
    }

    /// Lets the reader hand on everything recorded so far, then stops its thread. If it has not
    /// drained after `limit` (a reader blocked on a pipe nobody reads), the queue is abandoned:
    /// waiting producers go on, later events are dropped, and this returns `false`.
    @discardableResult
    public func finish(waitingAtMost limit: Duration = .seconds(3600)) async -> Bool {
        state.withLock { $0.finished = true }
        signalReader()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await self.state.wait { $0.drained }
                } catch {
                    // Cancelled: the deadline came first.
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: limit)
                    // Gives up on the reader: producers waiting for room go on, and so does this.
                    self.state.withLock { s in
                        if !s.drained { s.abandoned = true }
                    }
                } catch {
                    // Cancelled: the reader drained in time.
                }
            }
            await group.next()
            group.cancelAll()
        }
        return !state.withLock { $0.abandoned }
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
                (batch, stop) = state.withLock { s -> ([SessionEvent], Bool) in
                    if s.events.isEmpty {
                        s.readerSleeping = !s.finished
                        return ([], s.finished)
                    }
                    s.readerSleeping = false
                    s.gathering = false
                    let events = s.events
                    s.events = []
                    s.inFlight = s.bytes
                    s.bytes = 0
                    return (events, false)
                }
                if !batch.isEmpty || stop { break }
                wake.wait()
                // Woken by the first event after a sleep: let more gather (at most
                // `gatherWindow`, less once a batch is full: the producer that fills it wakes
                // this thread, and so does `finish`), so that busy traffic is read in
                // batches of many events, with one write each, instead of waking this thread
                // (twice: the signal, then the timed wait) for every few events.
                let gather = state.withLock { s -> Bool in
                    s.gathering = !s.batchIsFull && !s.finished
                    return s.gathering
                }
                if gather {
                    wake.wait(seconds: gatherWindow)
                }
            }
            wake.unlock()
            if !batch.isEmpty { consumer.consume(batch[...]) }
            // Frees the room (and wakes the producers waiting for it, and the finisher).
            state.withLock { $0.inFlight = 0 }
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

    /// As large as the largest socket read (256 KiB, FlowTransport's `maximumReadSize`): with
    /// 64 KiB, every larger chunk of bulk traffic got a fresh buffer of zeros (an allocation and
    /// a memset of the chunk's size), kept alive by the queue while counted as 64 bytes, which
    /// put tens of MiB on headless flowtap's peak RSS.
    private static let zeros = ByteBuffer(repeating: 0, count: 1 << 18)

    /// `count` bytes that share one buffer of zeros (a fresh one only above 256 KiB).
    static func placeholder(_ count: Int) -> ByteBuffer {
        if count <= zeros.readableBytes { return zeros.getSlice(at: 0, length: count)! }
        return ByteBuffer(repeating: 0, count: count)
    }

    /// The memory a queued event keeps alive: the storage of its chunk (or original). (A queue
    /// that does not keep bytes counts 64 bytes an event.)
    static func storage(_ event: SessionEvent) -> Int {
        switch event.kind {
        case .data(_, _, let bytes): max(bytes.readableBytes, bytes.storageCapacity)
        case .edit(_, _, _, _, let original?), .drop(_, _, _, let original?):
            max(original.readableBytes, original.storageCapacity)
        default: 64
        }
    }
}

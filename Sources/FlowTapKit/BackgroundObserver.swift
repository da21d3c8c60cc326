import FlowEvents
import Foundation

/// Runs another observer on a thread of its own, so that formatting, printing and capture
/// writing leave the data path, while keeping the guarantees of a synchronous observer:
///
/// - events reach the wrapped observer in the order they were recorded, none is dropped;
/// - the queue is bounded by the data bytes it holds (`maxQueuedBytes`) and the event count:
///   when it is full, ``record(_:)`` waits, so a slow disk or a slow reader of stdout still
///   pushes back on the traffic;
/// - ``finish()`` returns once everything recorded before it was handed on.
///
/// An event recorded from the worker thread itself (an observer reporting its own failure) is
/// queued without waiting, so it cannot deadlock.
public final class BackgroundObserver: InspectorObserver, @unchecked Sendable {
    // Guarded by `condition`.
    private var queue: [SessionEvent] = []
    private var head = 0
    private var queuedBytes = 0
    private var finishing = false
    private var busy = false
    private var workerWaiting = false
    private var producersWaiting = 0
    private var worker: Thread?

    private let condition = NSCondition()
    private let inner: any InspectorObserver
    private let maxQueuedBytes: Int
    private let maxQueuedEvents: Int

    /// Wraps `inner`; at most `maxQueuedBytes` of data and `maxQueuedEvents` events wait.
    public init(_ inner: any InspectorObserver, maxQueuedBytes: Int = 8 << 20, maxQueuedEvents: Int = 65_536)
    {
        self.inner = inner
        self.maxQueuedBytes = maxQueuedBytes
        self.maxQueuedEvents = maxQueuedEvents
        let thread = Thread { self.run() }  // holds the observer until finish() ends it
        thread.name = "flowtap.observer"
        worker = thread
        thread.start()
    }

    /// Queues the event for the wrapped observer; waits while the queue is full.
    public func record(_ event: SessionEvent) {
        let size = Self.size(event)
        condition.lock()
        if finishing {
            // The worker is draining or gone: hand on directly, after what was queued.
            producersWaiting += 1
            while head < queue.count || busy { condition.wait() }
            producersWaiting -= 1
            condition.unlock()
            inner.record(event)
            return
        }
        if Thread.current !== worker {
            while queuedBytes + size > maxQueuedBytes && queuedBytes > 0
                || queue.count - head >= maxQueuedEvents
            {
                producersWaiting += 1
                condition.wait()
                producersWaiting -= 1
            }
        }
        queue.append(event)
        queuedBytes += size
        // Wake the worker only when it sleeps: while it works, it finds the event on its own.
        if workerWaiting { condition.broadcast() }
        condition.unlock()
    }

    /// Hands on everything queued, then stops the worker. Later events are handed on at once,
    /// on the caller's thread.
    public func finish() {
        condition.lock()
        finishing = true
        condition.broadcast()
        producersWaiting += 1  // so that the worker signals its progress
        while head < queue.count || busy { condition.wait() }
        producersWaiting -= 1
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == queue.count && !finishing {
                workerWaiting = true
                condition.wait()
                workerWaiting = false
            }
            if head == queue.count && finishing {
                condition.unlock()
                return
            }
            let batch = queue[head...]
            head = queue.count
            busy = true
            condition.unlock()

            for event in batch { inner.record(event) }

            condition.lock()
            busy = false
            queuedBytes -= batch.reduce(0) { $0 + Self.size($1) }
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            if producersWaiting > 0 { condition.broadcast() }
            let idle = head == queue.count && !finishing
            condition.unlock()
            // A short batching window: under steady traffic the worker wakes at most about a
            // thousand times a second instead of once per event.
            if idle { usleep(1000) }
        }
    }

    private static func size(_ event: SessionEvent) -> Int {
        if case .data(_, _, let bytes) = event.kind { return bytes.readableBytes }
        return 0
    }
}

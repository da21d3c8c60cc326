import FlowCore
import NIOCore

/// A fault combinator: every chunk written is delivered to the wrapped flow `latency` after it
/// was written (± up to `jitter`), without slowing the writer down.
///
/// Like every fault, it acts on what is *written* (the data going towards the wrapped endpoint);
/// reads and ``shutdownRead()`` go straight to the wrapped flow.
///
/// - Throughput is not serialised: a write queues the chunk and returns while the queue holds
///   less than ``capacity`` bytes (a chunk larger than the capacity goes in alone); one delivery
///   task writes each chunk to the wrapped flow when its time has come. As with a TCP window,
///   throughput is then at most `capacity / latency`.
/// - Order is kept: a chunk is never delivered before the one written before it, so jitter
///   delays but never reorders (a chunk whose draw would overtake waits for its predecessor).
///   The jitter is drawn uniformly from `[-jitter, +jitter]` by a generator seeded with `seed`.
/// - ``shutdownWrite()`` queues the FIN behind the data, with the same latency, and returns once
///   the FIN was passed on, so the peer reads every byte and then end-of-file.
/// - Errors: when writing to the wrapped flow fails, the queued chunks are dropped and this and
///   every later write throws that error. A write after ``shutdownWrite()`` throws
///   ``WriteError/closed``. A writer waiting for room in a cancelled task throws
///   ``WriteError/failed(_:)`` "cancelled".
/// - ``close()`` is ``shutdownWrite()`` (the queued data goes first) followed by the wrapped
///   flow's `close()`. Dropping the combinator stops its delivery task; queued chunks are lost.
public final class LatencyFlow<Base: ShutdownableFlow, C: Clock>: ShutdownableFlow, FaultLayer
where C.Duration == Duration {
    private struct Item: Sendable {
        var buffer: ByteBuffer?  // nil: the FIN
        var due: C.Instant
    }

    private struct State: Sendable {
        var items: [Item] = []
        var head = 0
        var bytes = 0
        var lastDue: C.Instant?
        var finQueued = false
        var finDelivered = false
        var failure: WriteError?
        var random: SplitMix64

        var isEmpty: Bool { head == items.count }

        mutating func popFirst() {
            guard !isEmpty else { return }
            bytes -= items[head].buffer?.readableBytes ?? 0
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
        }
    }

    /// The default capacity of the queue: 4 MiB.
    public static var defaultCapacity: Int { 4 << 20 }

    /// The wrapped flow.
    public let base: Base
    /// The delay of every chunk.
    public let latency: Duration
    /// The most a chunk's delay differs from ``latency``.
    public let jitter: Duration
    /// The most bytes queued before a writer waits.
    public let capacity: Int
    private let clock: C
    private let state: AsyncMonitor<State>
    private let delivery: Task<Void, Never>

    /// Delays what is written to `base` by `latency` (± `jitter`, drawn from `seed`), timed by
    /// `clock`, with at most `capacity` bytes in flight.
    public init(
        _ base: Base, latency: Duration, jitter: Duration = .zero, seed: UInt64 = 0,
        capacity: Int = defaultCapacity, clock: C
    ) {
        precondition(latency >= .zero && jitter >= .zero, "latency and jitter cannot be negative")
        precondition(capacity > 0, "the queue needs room for at least one byte")
        self.base = base
        self.latency = latency
        self.jitter = jitter
        self.capacity = capacity
        self.clock = clock
        let state = AsyncMonitor(State(random: SplitMix64(seed: seed)))
        self.state = state
        delivery = Task { await Self.deliver(state: state, base: base, clock: clock) }
    }

    deinit {
        delivery.cancel()
    }

    /// The bytes written and not yet delivered.
    public var queuedBytes: Int { state.withLock { $0.bytes } }

    /// Reads from the wrapped flow.
    public func read() async throws(FlowError) -> ReadResult { try await base.read() }

    /// Queues `buffer` for delivery `latency` from now, waiting while the queue is full.
    /// - Throws: ``WriteError/closed`` after ``shutdownWrite()``; the wrapped flow's error once a
    ///   delivery failed.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        while true {
            let now = clock.now
            let outcome: Result<Bool, WriteError> = state.withLock { s in
                if let failure = s.failure { return .failure(failure) }
                if s.finQueued { return .failure(.closed) }
                if count == 0 { return .success(true) }
                guard s.bytes == 0 || s.bytes + count <= capacity else { return .success(false) }
                s.items.append(Item(buffer: buffer, due: Self.due(now, &s, latency, jitter)))
                s.bytes += count
                return .success(true)
            }
            switch outcome {
            case .failure(let error): throw error
            case .success(true): return
            case .success(false):
                let capacity = self.capacity
                let woke =
                    (try? await state.wait(until: { s in
                        s.failure != nil || s.finQueued || s.bytes == 0 || s.bytes + count <= capacity
                    })) != nil
                if !woke { throw .failed(FlowError("cancelled")) }
            }
        }
    }

    /// Queues the FIN behind the data written so far and returns once it was passed on (or the
    /// delivery failed). Calling it again waits for the same FIN.
    public func shutdownWrite() async {
        let now = clock.now
        let failed = state.withLock { s -> Bool in
            if s.failure != nil { return true }
            if !s.finQueued {
                s.finQueued = true
                s.items.append(Item(buffer: nil, due: Self.due(now, &s, latency, jitter)))
            }
            return false
        }
        if failed {
            await base.shutdownWrite()
            return
        }
        _ = try? await state.wait(until: { $0.finDelivered || $0.failure != nil })
    }

    /// Stops reading the wrapped flow.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Passes the queued data and the FIN on (see ``shutdownWrite()``), then closes the wrapped
    /// flow.
    public func close() async {
        await shutdownWrite()
        await base.close()
    }

    /// Waits until every chunk written so far was delivered (or dropped by a failure).
    func flush() async {
        _ = try? await state.wait(until: { $0.isEmpty || $0.failure != nil })
    }

    func abort(_ error: FlowError) {
        state.withLock { s in
            if s.failure == nil { s.failure = .failed(error) }
            s.items.removeAll()
            s.head = 0
            s.bytes = 0
        }
        delivery.cancel()
    }

    /// When a chunk written at `now` is due: `latency` ± jitter later, never before the chunk
    /// queued before it.
    private static func due(_ now: C.Instant, _ s: inout State, _ latency: Duration, _ jitter: Duration)
        -> C.Instant
    {
        var delay = latency
        if jitter > .zero {
            let (seconds, attoseconds) = jitter.components
            let span = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            let draw = Int64(s.random.next() % UInt64(2 * span + 1)) - span
            delay = max(.zero, latency + .nanoseconds(draw))
        }
        var due = now.advanced(by: delay)
        if let last = s.lastDue, due < last { due = last }
        s.lastDue = due
        return due
    }

    /// The delivery task: writes each chunk when it is due, then the FIN, and ends.
    private static func deliver(state: AsyncMonitor<State>, base: Base, clock: C) async {
        while true {
            guard (try? await state.wait(until: { !$0.isEmpty || $0.failure != nil })) != nil else { return }
            guard let item = state.withLock({ s in s.failure == nil ? s.items[s.head] : nil }) else { return }
            do {
                try await clock.sleep(until: item.due, tolerance: nil)
            } catch {
                return
            }
            if state.withLock({ $0.failure != nil }) { return }
            guard let buffer = item.buffer else {
                await base.shutdownWrite()
                state.withLock { s in
                    s.popFirst()
                    s.finDelivered = true
                }
                return
            }
            do {
                try await base.write(buffer)
            } catch {
                state.withLock { s in
                    if s.failure == nil { s.failure = error }
                    s.items.removeAll()
                    s.head = 0
                    s.bytes = 0
                }
                return
            }
            state.withLock { s in if s.failure == nil { s.popFirst() } }
        }
    }
}

extension LatencyFlow where C == ContinuousClock {
    /// Delays what is written to `base` by `latency` (± `jitter`), timed by the system's
    /// `ContinuousClock`.
    public convenience init(
        _ base: Base, latency: Duration, jitter: Duration = .zero, seed: UInt64 = 0,
        capacity: Int = 4 << 20
    ) {
        self.init(
            base, latency: latency, jitter: jitter, seed: seed, capacity: capacity, clock: ContinuousClock())
    }
}

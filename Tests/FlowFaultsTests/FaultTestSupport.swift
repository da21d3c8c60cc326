import FlowCore
import FlowFaults
import FlowTestSupport
import NIOCore
import Synchronization
import Testing

/// Reads a flow in the background and records every chunk with the manual clock's time at its
/// arrival, then the end (end-of-file or a read error).
final class Arrivals: Sendable {
    struct Arrival: Sendable {
        var bytes: [UInt8]
        var at: Duration
    }
    private struct State {
        var arrivals: [Arrival] = []
        var ended = false
        var error: FlowError?
        var endedAt: Duration?
    }
    private let state = Mutex(State())

    init(_ flow: some Flow, clock: ManualClock) {
        Task { [self] in
            while true {
                do {
                    guard case .data(let chunk) = try await flow.read() else { break }
                    let now = clock.now.offset
                    let arrival = Arrival(bytes: Array(chunk.readableBytesView), at: now)
                    state.withLock { $0.arrivals.append(arrival) }
                } catch {
                    state.withLock { $0.error = error as? FlowError }
                    break
                }
            }
            let now = clock.now.offset
            state.withLock { s in
                s.ended = true
                s.endedAt = now
            }
        }
    }

    var arrivals: [Arrival] { state.withLock { $0.arrivals } }
    var chunks: [String] { arrivals.map { String(decoding: $0.bytes, as: UTF8.self) } }
    var text: String { chunks.joined() }
    var bytes: [UInt8] { arrivals.flatMap(\.bytes) }
    var count: Int { state.withLock { $0.arrivals.reduce(0) { $0 + $1.bytes.count } } }
    var ended: Bool { state.withLock { $0.ended } }
    var endedAt: Duration? { state.withLock { $0.endedAt } }
    var error: FlowError? { state.withLock { $0.error } }
}

/// Lets other tasks run until `condition` holds; fails the test after `seconds` of wall time (a
/// hang guard, not a timing check: generous, since a parallel run on two cores can leave a task
/// without a thread for seconds).
func settle(
    seconds: Double = 30, sourceLocation: SourceLocation = #_sourceLocation, until condition: () -> Bool
) async {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("condition not reached within \(seconds) s", sourceLocation: sourceLocation)
            return
        }
        await pause()
    }
}

/// Gives the other tasks a turn without spinning: a short sleep frees this pool thread (a bare
/// `Task.yield()` loop kept both threads of a 2-core machine's pool busy in parallel runs).
func pause() async {
    do {
        try await Task.sleep(for: .microseconds(50))
    } catch {
        await Task.yield()  // cancelled: the caller's own deadline ends the wait
    }
}

/// Lets other tasks run for a moment, so that what could happen now has happened (used before
/// checking that something has *not* arrived: it cannot, as the clock has not moved).
func quiesce() async {
    for _ in 0..<200 { await Task.yield() }
}

/// Waits until at least `count` tasks sleep on `clock`.
func sleepers(_ clock: ManualClock, _ count: Int = 1) async {
    await settle { clock.sleeperCount >= count }
}

/// Advances `clock` in `step`s whenever a task sleeps on it, until `done` holds: drives a
/// transfer through timed faults without looking at the wall clock.
///
/// The hang guard counts wall time without progress (no task sleeping on the clock for 30 s),
/// not the whole transfer's: in a parallel run on two cores each step can wait long for a thread,
/// and a transfer that is moving must not be called stuck.
func drive(
    _ clock: ManualClock, step: Duration = .milliseconds(1),
    sourceLocation: SourceLocation = #_sourceLocation,
    until done: () -> Bool
) async {
    var lastProgress = ContinuousClock.now
    while !done() {
        if clock.sleeperCount > 0 {
            clock.advance(by: step)
            lastProgress = ContinuousClock.now
        } else if ContinuousClock.now - lastProgress > .seconds(30) {
            Issue.record("the transfer made no progress for 30 s", sourceLocation: sourceLocation)
            return
        }
        await pause()
    }
}

/// A flow that records the manual clock's time of every write (then passes it on): when a
/// fault's delivery task handed each chunk over, free of any reader's lag.
final class Deliveries: ShutdownableFlow {
    private let base: PipeFlow
    private let clock: ManualClock
    private let state = Mutex<[Arrivals.Arrival]>([])

    init(_ base: PipeFlow, clock: ManualClock) {
        self.base = base
        self.clock = clock
    }

    var arrivals: [Arrivals.Arrival] { state.withLock { $0 } }

    func read() async throws(FlowError) -> ReadResult { try await base.read() }
    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let now = clock.now.offset
        state.withLock { $0.append(Arrivals.Arrival(bytes: Array(buffer.readableBytesView), at: now)) }
        try await base.write(buffer)
    }
    func close() async { await base.close() }
    func shutdownWrite() async { await base.shutdownWrite() }
    func shutdownRead() async { await base.shutdownRead() }
}

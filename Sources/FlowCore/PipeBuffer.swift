import NIOCore
import Synchronization

/// One direction of a ``Pipe``: a bounded queue of chunks between one writing end and one
/// reading end, with the writer's end-of-file and the reader's shutdown.
///
/// Waiting is done with continuations resumed outside the lock; a waiter always re-checks the
/// state after waking, so spurious wake-ups are harmless. Cancellation wakes a waiter, which then
/// fails with "cancelled".
final class PipeBuffer: Sendable {
    private struct State {
        var chunks = CircularBuffer<ByteBuffer>()
        var bytes = 0
        /// The writer sent end-of-file (shutdownWrite or close).
        var finished = false
        /// The reader shut its side: queued bytes are dropped, writes fail.
        var readerGone = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a pipe needs room for at least one byte")
        self.capacity = capacity
    }

    // MARK: Reading end

    func read() async throws(FlowError) -> ReadResult {
        while true {
            let outcome: ReadResult? = state.withLock { s in
                if let chunk = s.chunks.popFirst() {
                    s.bytes -= chunk.readableBytes
                    return .data(chunk)
                }
                return s.finished || s.readerGone ? .eof : nil
            }
            if let outcome {
                if case .data = outcome { wakeAll() }
                return outcome
            }
            if await !wait(until: { !$0.chunks.isEmpty || $0.finished || $0.readerGone }) {
                throw FlowError("cancelled")
            }
        }
    }

    func shutdownRead() {
        state.withLock { s in
            s.readerGone = true
            s.chunks.removeAll()
            s.bytes = 0
        }
        wakeAll()
    }

    // MARK: Writing end

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        while true {
            let done: Bool? = state.withLock { s in
                if s.finished || s.readerGone { return nil }
                guard self.hasRoom(for: count, in: s) else { return false }
                if count > 0 {
                    s.chunks.append(buffer)
                    s.bytes += count
                }
                return true
            }
            switch done {
            case nil: throw .closed
            case true?:
                wakeAll()
                return
            case false?:
                let woke = await wait { $0.finished || $0.readerGone || self.hasRoom(for: count, in: $0) }
                if !woke { throw .failed(FlowError("cancelled")) }
            }
        }
    }

    /// Whether a chunk of `count` bytes may be queued now. A chunk larger than the whole
    /// capacity goes in alone, once the queue is empty.
    private func hasRoom(for count: Int, in s: borrowing State) -> Bool {
        s.bytes == 0 || s.bytes + count <= capacity
    }

    func finish() {
        state.withLock { $0.finished = true }
        wakeAll()
    }

    /// Waits until the writer has sent end-of-file. Returns false when cancelled.
    func waitFinished() async -> Bool {
        await wait { $0.finished }
    }

    /// True once the writer has sent end-of-file.
    var isFinished: Bool { state.withLock { $0.finished } }

    // MARK: Waiting

    /// Suspends until `condition` holds (checked under the lock) or the task is cancelled.
    /// Returns false on cancellation.
    private func wait(until condition: @escaping (borrowing State) -> Bool) async -> Bool {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s in
                    if condition(s) || s.cancelled.contains(id) { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { s in
                s.cancelled.insert(id)
                return s.waiters.removeValue(forKey: id)
            }
            continuation?.resume()
        }
        return state.withLock { s in s.cancelled.remove(id) == nil }
    }

    private func wakeAll() {
        let all = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.waiters.isEmpty else { return [] }
            let all = Array(s.waiters.values)
            s.waiters.removeAll(keepingCapacity: true)
            return all
        }
        for continuation in all { continuation.resume() }
    }
}

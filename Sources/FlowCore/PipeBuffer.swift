import NIOCore
import Synchronization

/// One direction of a ``Pipe``: a bounded queue of chunks between one writing end and one
/// reading end, with the writer's end-of-file and the reader's shutdown.
///
/// Waiting is done with continuations resumed outside the lock. Each waiter says what it waits
/// for, and a change of state resumes only the waiters that can now proceed; a woken waiter
/// re-checks the state anyway. Cancellation wakes a waiter, which then fails with "cancelled".
final class PipeBuffer: Sendable {
    /// A suspended task. Unchecked for speed (the checked kind is opaque to the optimizer, so
    /// every copy went through value witnesses): each one is resumed exactly once because it is
    /// either resumed at once in `wait`, or stored in `waiters` and resumed only by whoever
    /// removes it from there under the lock (`takeReady` or the cancellation handler).
    private typealias Continuation = UnsafeContinuation<Void, Never>

    /// What a suspended task waits for.
    private enum Condition {
        /// A chunk to read, the writer's end-of-file, or the reader's shutdown.
        case readable
        /// Room for a chunk of this many bytes, or a reason the write can never happen.
        case room(Int)
        /// The writer's end-of-file.
        case finished
    }

    private struct Waiter {
        let id: Int
        let condition: Condition
        let continuation: Continuation
    }

    /// Continuations to resume once the lock is released. Holds the usual single one inline, so
    /// waking allocates nothing.
    private struct Wakeups {
        var first: Continuation?
        var more: [Continuation] = []

        mutating func add(_ continuation: Continuation) {
            if first == nil { first = continuation } else { more.append(continuation) }
        }

        func resume() {
            first?.resume()
            for continuation in more { continuation.resume() }
        }
    }

    private struct State {
        var chunks = CircularBuffer<ByteBuffer>()
        var bytes = 0
        /// The writer sent end-of-file (shutdownWrite or close).
        var finished = false
        /// The reader shut its side: queued bytes are dropped, writes fail.
        var readerGone = false
        var nextID = 0
        /// Suspended tasks, oldest first. Rarely more than two (a reader or a writer, and a
        /// closer), so a small array is cheaper than a dictionary.
        var waiters: [Waiter] = []
        /// Ids of waiters whose task was cancelled and that have not returned yet.
        var cancelled: [Int] = []
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
            let (outcome, wakeups): (ReadResult?, Wakeups) = state.withLock { s in
                if let chunk = s.chunks.popFirst() {
                    s.bytes -= chunk.readableBytes
                    return (.data(chunk), takeReady(&s))
                }
                return (s.finished || s.readerGone ? .eof : nil, Wakeups())
            }
            if let outcome {
                wakeups.resume()
                return outcome
            }
            if await !wait(for: .readable) {
                throw FlowError("cancelled")
            }
        }
    }

    func shutdownRead() {
        let wakeups = state.withLock { s in
            s.readerGone = true
            s.chunks.removeAll()
            s.bytes = 0
            return takeReady(&s)
        }
        wakeups.resume()
    }

    // MARK: Writing end

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        while true {
            let (done, wakeups): (Bool?, Wakeups) = state.withLock { s in
                if s.finished || s.readerGone { return (nil, Wakeups()) }
                guard self.hasRoom(for: count, in: s) else { return (false, Wakeups()) }
                if count > 0 {
                    s.chunks.append(buffer)
                    s.bytes += count
                }
                return (true, takeReady(&s))
            }
            switch done {
            case nil: throw .closed
            case true?:
                wakeups.resume()
                return
            case false?:
                if await !wait(for: .room(count)) { throw .failed(FlowError("cancelled")) }
            }
        }
    }

    /// Whether a chunk of `count` bytes may be queued now. A chunk larger than the whole
    /// capacity goes in alone, once the queue is empty.
    private func hasRoom(for count: Int, in s: borrowing State) -> Bool {
        s.bytes == 0 || s.bytes + count <= capacity
    }

    func finish() {
        let wakeups = state.withLock { s in
            s.finished = true
            return takeReady(&s)
        }
        wakeups.resume()
    }

    /// Waits until the writer has sent end-of-file. Returns false when cancelled.
    func waitFinished() async -> Bool {
        await wait(for: .finished)
    }

    /// True once the writer has sent end-of-file.
    var isFinished: Bool { state.withLock { $0.finished } }

    // MARK: Waiting

    private func holds(_ condition: Condition, in s: borrowing State) -> Bool {
        switch condition {
        case .readable: !s.chunks.isEmpty || s.finished || s.readerGone
        case .room(let count): s.finished || s.readerGone || hasRoom(for: count, in: s)
        case .finished: s.finished
        }
    }

    /// Removes the waiters whose condition now holds; called under the lock after every change
    /// of state, so no waiter is left suspended once it can proceed.
    private func takeReady(_ s: inout State) -> Wakeups {
        var wakeups = Wakeups()
        guard !s.waiters.isEmpty else { return wakeups }
        var index = 0
        while index < s.waiters.count {
            if holds(s.waiters[index].condition, in: s) {
                wakeups.add(s.waiters.remove(at: index).continuation)
            } else {
                index += 1
            }
        }
        return wakeups
    }

    /// Suspends until `condition` holds (checked under the lock) or the task is cancelled.
    /// Returns false on cancellation.
    private func wait(for condition: Condition) async -> Bool {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Continuation) in
                let ready = state.withLock { s in
                    if holds(condition, in: s) || s.cancelled.contains(id) { return true }
                    s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { s -> Continuation? in
                s.cancelled.append(id)
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            continuation?.resume()
        }
        return state.withLock { s in
            guard let index = s.cancelled.firstIndex(of: id) else { return true }
            s.cancelled.remove(at: index)
            return false
        }
    }
}

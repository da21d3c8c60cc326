import NIOCore

/// One direction of a ``Pipe``: a bounded queue of chunks between one writing end and one
/// reading end, with the writer's end-of-file and the reader's shutdown.
///
/// Waiting goes through an ``AsyncMonitor``: a reader waits for a chunk or the end, a writer for
/// room (or a reason the write can never happen), a closer for the writer's end-of-file. A read
/// or write cancelled while it waits fails with "cancelled" and has taken or queued nothing.
final class PipeBuffer: Sendable {
    private struct State: Sendable {
        var chunks = CircularBuffer<ByteBuffer>()
        var bytes = 0
        /// The writer sent end-of-file (shutdownWrite or close).
        var finished = false
        /// The reader shut its side: queued bytes are dropped, writes fail.
        var readerGone = false

        /// Takes the next chunk out, or end-of-file; `nil` while the queue is empty and open.
        mutating func read() -> ReadResult? {
            if let chunk = chunks.popFirst() {
                bytes -= chunk.readableBytes
                return .data(chunk)
            }
            return finished || readerGone ? .eof : nil
        }

        /// Queues `buffer`: true once queued, false when it never can be (the writer finished or
        /// the reader left), `nil` while there is no room. A chunk larger than the whole capacity
        /// goes in alone, once the queue is empty.
        mutating func write(_ buffer: ByteBuffer, capacity: Int) -> Bool? {
            if finished || readerGone { return false }
            let count = buffer.readableBytes
            guard bytes == 0 || bytes + count <= capacity else { return nil }
            if count > 0 {
                chunks.append(buffer)
                bytes += count
            }
            return true
        }
    }

    let capacity: Int
    private let state = AsyncMonitor(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a pipe needs room for at least one byte")
        self.capacity = capacity
    }

    // MARK: Reading end

    func read() async throws(FlowError) -> ReadResult {
        do {
            return try await state.waitToTake { $0.read() }
        } catch {
            throw FlowError("cancelled")
        }
    }

    func shutdownRead() {
        state.withLock { s in
            s.readerGone = true
            s.chunks.removeAll()
            s.bytes = 0
        }
    }

    // MARK: Writing end

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let capacity = self.capacity
        // Tried once without forming the waiting closure: no allocation when there is room.
        var queued = state.withLock { $0.write(buffer, capacity: capacity) }
        if queued == nil {
            do {
                queued = try await state.waitToTake { $0.write(buffer, capacity: capacity) }
            } catch {
                throw .failed(FlowError("cancelled"))
            }
        }
        if queued != true { throw .closed }
    }

    func finish() {
        state.withLock { $0.finished = true }
    }

    /// Waits until the writer has sent end-of-file. Returns false when cancelled.
    func waitFinished() async -> Bool {
        (try? await state.wait(until: { $0.finished })) != nil
    }

    /// True once the writer has sent end-of-file.
    var isFinished: Bool { state.withLock { $0.finished } }
}

import FlowCore
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state machine behind a ``SocketFlow``: the bounded inbound queue fed by
/// ``SocketFlowHandler`` on the event loop, the outbound accounting, and the continuations of a
/// suspended reader, writer and closer. Every field lives under one mutex; continuations are
/// always resumed outside it.
final class SocketFlowCore: Sendable {
    typealias ReadContinuation = UnsafeContinuation<Result<ReadResult, FlowError>, Never>

    /// Where the inbound direction stands.
    enum Inbound: Sendable {
        case open
        /// The peer sent FIN (or the channel closed without an error).
        case eof
        /// The socket failed (e.g. reset by the peer).
        case failed(FlowError)
        /// We stopped reading: ``SocketFlowCore/shutdownRead()``, `close`, `reset`.
        case shutByUs
    }

    /// Where the outbound direction stands.
    enum Outbound: Sendable {
        case open
        /// We sent (or are sending) FIN, or closed, or reset.
        case shut
        /// The socket failed; the error says why.
        case failed(FlowError)
    }

    /// What a reader gets without suspending.
    enum NextRead {
        case data(ByteBuffer, resumeReading: Bool)
        case done(Result<ReadResult, FlowError>)
        case wait
    }

    struct State: Sendable {
        var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 8)
        var bufferedBytes = 0
        var inbound = Inbound.open
        var readers = WaiterList<ReadContinuation>()
        /// A `read` from the pipeline was held back because the queue is full.
        var readHeld = false
        /// Reading was stopped by us (`shutdownRead`, `close`): the socket is still read (so
        /// that unread bytes never turn our final close into a reset), and what comes is dropped.
        var discarding = false
        /// The peer's side ended: FIN, a failure, or the channel closed.
        var peerEnded = false
        var inboundEndWaiters = WaiterList<UnsafeContinuation<Void, Never>>()
        var outbound = Outbound.open
        /// Bytes handed to the channel whose write has not completed yet.
        var outstandingBytes = 0
        var writers = WaiterList<UnsafeContinuation<Void, Never>>()
        var nextWaiterID = 0
        var lastWrite: EventLoopFuture<Void>?
        /// The first failure the socket reported, read or write: the reason later errors give.
        var failure: FlowError?
        var active = true

        var outboundIsOpen: Bool {
            if case .open = outbound { return true }
            return false
        }

        var inboundIsOpen: Bool {
            if case .open = inbound { return true }
            return false
        }

        mutating func makeWaiterID() -> Int {
            defer { nextWaiterID += 1 }
            return nextWaiterID
        }

        mutating func next() -> NextRead {
            if let chunk = chunks.popFirst() {
                bufferedBytes -= chunk.readableBytes
                var resume = false
                if readHeld && bufferedBytes <= TransportTuning.inboundLowWatermark {
                    readHeld = false
                    resume = true
                }
                return .data(chunk, resumeReading: resume)
            }
            switch inbound {
            case .open: return .wait
            case .eof, .shutByUs: return .done(.success(.eof))
            case .failed(let error): return .done(.failure(error))
            }
        }

        /// Empties the inbound queue; returns whether a held `read` must now be issued.
        mutating func dropChunks() -> Bool {
            chunks.removeAll()
            bufferedBytes = 0
            defer { readHeld = false }
            return readHeld
        }

        /// The waiters to wake after the directions changed state.
        mutating func takeWaiters() -> Waiters {
            var waiters = Waiters()
            if !readers.isEmpty, chunks.isEmpty, !inboundIsOpen, case .done(let result) = next() {
                waiters.readers = readers.removeAll().map { ($0, result) }
            }
            if peerEnded || !active {
                waiters.inboundEnd = inboundEndWaiters.removeAll()
            }
            if !outboundIsOpen || outstandingBytes <= TransportTuning.outboundLowWatermark {
                waiters.writers = writers.removeAll()
            }
            return waiters
        }
    }

    /// Continuations taken out of the state, to resume once the lock is released.
    struct Waiters {
        var readers: [(ReadContinuation, Result<ReadResult, FlowError>)] = []
        var writers: [UnsafeContinuation<Void, Never>] = []
        var inboundEnd: [UnsafeContinuation<Void, Never>] = []

        func resume() {
            for (continuation, result) in readers { continuation.resume(returning: result) }
            for writer in writers { writer.resume() }
            for waiter in inboundEnd { waiter.resume() }
        }
    }

    let channel: any Channel
    let state = Mutex(State())

    init(channel: any Channel) {
        self.channel = channel
    }

    /// In a channel initializer: puts a ``SocketFlowHandler`` feeding a new core in the
    /// pipeline; `onActive` is called with the core once the channel is active.
    static func install(
        on channel: any Channel, onActive: (@Sendable (SocketFlowCore) -> Void)? = nil
    ) -> EventLoopFuture<SocketFlowCore> {
        channel.eventLoop.makeCompletedFuture {
            let core = SocketFlowCore(channel: channel)
            var whenActive: (@Sendable () -> Void)?
            if let onActive { whenActive = { onActive(core) } }
            let handler = SocketFlowHandler(core: core, onActive: whenActive)
            try channel.pipeline.syncOperations.addHandler(handler)
            return core
        }
    }

    // MARK: Reading

    func read() async throws(FlowError) -> ReadResult {
        switch state.withLock({ $0.next() }) {
        case .data(let chunk, let resumeReading):
            if resumeReading { channel.read() }
            return .data(chunk)
        case .done(let result):
            return try result.get()
        case .wait:
            return try await waitForRead().get()
        }
    }

    private func waitForRead() async -> Result<ReadResult, FlowError> {
        let id = state.withLock { $0.makeWaiterID() }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: ReadContinuation) in
                let ready: (Result<ReadResult, FlowError>, Bool)? = state.withLock { state in
                    if Task.isCancelled { return (.failure(FlowError("read cancelled")), false) }
                    switch state.next() {
                    case .data(let chunk, let resumeReading): return (.success(.data(chunk)), resumeReading)
                    case .done(let result): return (result, false)
                    case .wait:
                        state.readers.append(continuation, id: id)
                        return nil
                    }
                }
                if let (result, resumeReading) = ready {
                    if resumeReading { channel.read() }
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            let reader = state.withLock { $0.readers.remove(id: id) }
            reader?.resume(returning: .failure(FlowError("read cancelled")))
        }
    }

    /// Stops reading on our side only. The socket's input is deliberately not shut
    /// (`SHUT_RD`): on Linux that leaves the peer's later bytes unread in the kernel, and closing
    /// a socket with unread bytes sends a reset that can destroy what we sent last. Instead the
    /// socket goes on being read and its bytes are dropped, until the peer's FIN or our close.
    func shutdownRead() async {
        let (waiters, resumeReading): (Waiters, Bool) = state.withLock { state in
            if case .shutByUs = state.inbound { return (Waiters(), false) }
            state.inbound = .shutByUs
            state.discarding = true
            let resume = state.dropChunks()
            return (state.takeWaiters(), resume)
        }
        waiters.resume()
        if resumeReading { channel.read() }
    }

    // MARK: Writing

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let count = buffer.readableBytes
        guard let promise = try beginWrite(count) else { return }
        channel.writeAndFlush(buffer, promise: promise)
        try await afterWrite()
    }

    func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        let count = buffers.reduce(0) { $0 + $1.readableBytes }
        guard let promise = try beginWrite(count) else { return }
        // One trip to the event loop, one flush; the promise of the last write completes after
        // every earlier one, and a failure fails every write still queued.
        let channel = self.channel
        let nonEmpty = buffers.filter { $0.readableBytes > 0 }
        let body: @Sendable () -> Void = {
            for (index, buffer) in nonEmpty.enumerated() {
                channel.write(buffer, promise: index == nonEmpty.count - 1 ? promise : nil)
            }
            channel.flush()
        }
        if channel.eventLoop.inEventLoop { body() } else { channel.eventLoop.execute(body) }
        try await afterWrite()
    }

    /// Checks that the flow is writable and counts `count` bytes as queued; returns the promise the
    /// write completes (its completion releases the bytes), or `nil` for an empty write.
    private func beginWrite(_ count: Int) throws(WriteError) -> EventLoopPromise<Void>? {
        guard count > 0 else {
            try state.withLock { (state: inout State) throws(WriteError) in try state.checkWritable() }
            return nil
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        do throws(WriteError) {
            try state.withLock { (state: inout State) throws(WriteError) in
                try state.checkWritable()
                state.outstandingBytes += count
                state.lastWrite = promise.futureResult
            }
        } catch {
            promise.succeed(())  // never used
            throw error
        }
        promise.futureResult.whenComplete { result in
            self.writeCompleted(count, result)
        }
        return promise
    }

    /// Reports a failure the write met at once, and waits while too many bytes are queued.
    private func afterWrite() async throws(WriteError) {
        let mustWait = try state.withLock { (state: inout State) throws(WriteError) -> Bool in
            if case .failed(let error) = state.outbound { throw .failed(error) }
            return state.outstandingBytes > TransportTuning.outboundHighWatermark
        }
        if mustWait { try await waitForRoom() }
    }

    private func waitForRoom() async throws(WriteError) {
        await suspend(in: \.writers) {
            !$0.outboundIsOpen || $0.outstandingBytes <= TransportTuning.outboundLowWatermark
        }
        try state.withLock { (state: inout State) throws(WriteError) in
            if case .failed(let error) = state.outbound { throw .failed(error) }
        }
        if Task.isCancelled { throw .failed(FlowError("write cancelled")) }
    }

    /// On the event loop: a write reached the socket, or failed (with the socket's real errno).
    private func writeCompleted(_ count: Int, _ result: Result<Void, any Error>) {
        let waiters = state.withLock { state in
            state.outstandingBytes -= count
            if case .failure(let error) = result {
                let failure = ErrorText.socketFailure(error)
                if state.failure == nil { state.failure = failure }
                if state.outboundIsOpen {
                    state.outbound = .failed(failure ?? state.failure ?? FlowError("connection closed"))
                }
            }
            return state.takeWaiters()
        }
        waiters.resume()
    }

    func shutdownWrite() async {
        let pending: EventLoopFuture<Void>?? = state.withLock { state in
            guard state.outboundIsOpen else { return .none }
            state.outbound = .shut
            return .some(state.lastWrite)
        }
        guard case .some(let lastWrite) = pending else { return }
        // NIO sends the FIN after queued writes, but turns it into a full close (dropping
        // them) when the peer's FIN came first: wait for the queue to drain in every case.
        if let lastWrite { _ = try? await lastWrite.get() }
        try? await channel.close(mode: .output).get()
    }

    // MARK: Closing

    func close() async {
        await shutdownWrite()
        let (mustWait, resumeReading): (Bool, Bool) = state.withLock { state in
            state.discarding = true
            let resume = state.dropChunks()
            return (state.active && !state.peerEnded, resume)
        }
        if resumeReading { channel.read() }
        if mustWait { await waitForInboundEnd() }
        try? await channel.close().get()
        try? await channel.closeFuture.get()
    }

    private func waitForInboundEnd() async {
        await suspend(in: \.inboundEndWaiters) { !$0.active || $0.peerEnded }
    }

    /// Suspends until `ready` holds, checked under the lock now and by whoever resumes the
    /// waiters of `list`, or until the task is cancelled.
    private func suspend(
        in list: WritableKeyPath<State, WaiterList<UnsafeContinuation<Void, Never>>> & Sendable,
        until ready: (borrowing State) -> Bool
    ) async {
        let id = state.withLock { $0.makeWaiterID() }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if Task.isCancelled || ready(state) { return true }
                    state[keyPath: list].append(continuation, id: id)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0[keyPath: list].remove(id: id) }
            waiter?.resume()
        }
    }

    func reset() async {
        let waiters = state.withLock { state in
            if state.outboundIsOpen { state.outbound = .shut }
            state.inbound = .shutByUs
            _ = state.dropChunks()
            return state.takeWaiters()
        }
        waiters.resume()
        // SO_LINGER 0 and the close are chained on the event loop, in one go: the RST leaves
        // now, not once this task is scheduled again. Awaiting the option before closing would
        // leave a window (as long as the caller's executor is busy) in which the socket is still
        // read, its bytes dropped, so that the peer sees its data taken and no reset.
        let channel = self.channel
        let closed: EventLoopFuture<Void>
        if let provider = channel as? any SocketOptionProvider {
            closed = provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                .recover { _ in }
                .flatMap { channel.close() }
        } else {
            closed = channel.close()
        }
        try? await closed.get()
        try? await channel.closeFuture.get()
    }

    /// Closes the channel of a flow nobody will use (dropped, or never handed out).
    func abandon() {
        let waiters = state.withLock { state in
            if state.outboundIsOpen { state.outbound = .shut }
            state.inbound = .shutByUs
            _ = state.dropChunks()
            return state.takeWaiters()
        }
        waiters.resume()
        channel.close(promise: nil)
    }

    // MARK: Events from the event loop (SocketFlowHandler)

    /// Whether the pipeline's next socket read must wait (the queue is over its high watermark).
    func shouldHoldRead() -> Bool {
        state.withLock { state in
            guard !state.discarding, state.bufferedBytes >= TransportTuning.inboundHighWatermark else {
                return false
            }
            state.readHeld = true
            return true
        }
    }

    func received(_ buffer: ByteBuffer) {
        let reader: ReadContinuation? = state.withLock { state in
            guard !state.discarding, state.inboundIsOpen else { return nil }
            if let reader = state.readers.popFirst() { return reader }
            state.chunks.append(buffer)
            state.bufferedBytes += buffer.readableBytes
            return nil
        }
        reader?.resume(returning: .success(.data(buffer)))
    }

    func inputEnded() {
        let waiters = state.withLock { state in
            state.peerEnded = true
            if state.inboundIsOpen { state.inbound = .eof }
            return state.takeWaiters()
        }
        waiters.resume()
    }

    func caughtError(_ error: any Error) {
        let waiters = state.withLock { state in
            let failure = ErrorText.socketFailure(error) ?? FlowError("connection closed")
            if state.failure == nil { state.failure = failure }
            state.peerEnded = true
            if state.inboundIsOpen { state.inbound = .failed(failure) }
            return state.takeWaiters()
        }
        waiters.resume()
    }

    /// The channel closed. When we did not close it and no failure was reported, NIO closed it
    /// on the socket's error notification (EPOLLHUP/EPOLLERR), whose errno it does not pass
    /// on to handlers; it is then a reset (NIO's own default for that path is ECONNRESET).
    func becameInactive() {
        let waiters = state.withLock { state in
            state.active = false
            state.peerEnded = true
            if state.outboundIsOpen {
                let reset = FlowError(ErrorText.reason(errno: ECONNRESET), errno: ECONNRESET)
                if state.failure == nil { state.failure = reset }
                state.outbound = .failed(state.failure ?? reset)
            }
            if state.inboundIsOpen {
                state.inbound = state.failure.map { .failed($0) } ?? .eof
            }
            return state.takeWaiters()
        }
        waiters.resume()
    }
}

extension SocketFlowCore.State {
    fileprivate func checkWritable() throws(WriteError) {
        switch outbound {
        case .open: return
        case .shut: throw .closed
        case .failed(let error): throw .failed(error)
        }
    }
}

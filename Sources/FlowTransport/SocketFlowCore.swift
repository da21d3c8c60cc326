import FlowCore
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state machine behind a ``SocketFlow``: the bounded inbound queue fed by
/// ``SocketFlowHandler`` on the event loop, and the outbound accounting. Every field lives in one
/// ``AsyncMonitor``, on which a reader waits for a chunk or the end, a writer for room, and a
/// closer for the peer's end; every change wakes whoever can now go on.
final class SocketFlowCore: Sendable {

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

    /// What a reader takes: the result, and whether the socket's held `read` must now be issued.
    struct NextRead: Sendable {
        var result: Result<ReadResult, FlowError>
        var resumeReading = false
    }

    struct State: Sendable {
        var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 8)
        /// The memory the queued chunks keep alive (``cost(of:)``), against the watermarks.
        var bufferedBytes = 0
        var inbound = Inbound.open
        /// A `read` from the pipeline was held back because the queue is full.
        var readHeld = false
        /// Reading was stopped by us (`shutdownRead`, `close`): the socket is still read (so
        /// that unread bytes never turn our final close into a reset), and what comes is dropped.
        var discarding = false
        /// The peer's side ended: FIN, a failure, or the channel closed.
        var peerEnded = false
        var outbound = Outbound.open
        /// Bytes handed to the channel whose write has not completed yet.
        var outstandingBytes = 0
        var lastWrite: EventLoopFuture<Void>?
        /// The first failure the socket reported, read or write: the reason later errors give.
        var failure: FlowError?
        var active = true
        /// Hears of the failure once (``SocketFlowCore/whenFailed(_:)``).
        var onFailure: (@Sendable (FlowError) -> Void)?

        /// Once the socket has failed: the callback to tell of it, with the failure (then
        /// forgotten, so it is called once), to be called outside the lock.
        mutating func takeFailureCallback() -> (@Sendable (FlowError) -> Void, FlowError)? {
            guard let failure, let onFailure else { return nil }
            self.onFailure = nil
            return (onFailure, failure)
        }

        var outboundIsOpen: Bool {
            if case .open = outbound { return true }
            return false
        }

        var inboundIsOpen: Bool {
            if case .open = inbound { return true }
            return false
        }

        /// What a queued chunk counts against the watermarks: the storage it keeps alive, not
        /// only its readable bytes. swift-nio-ssl hands up each record's plaintext as a slice of
        /// its 32 KiB (or larger) buffer: counted by readable bytes, a peer sending one-byte
        /// records to a paused session could pin 512 Ki such buffers (16 GiB) before the socket
        /// stopped being read.
        static func cost(of chunk: ByteBuffer) -> Int { max(chunk.readableBytes, chunk.storageCapacity) }

        /// Queues a chunk read from the socket.
        mutating func enqueue(_ chunk: ByteBuffer) {
            chunks.append(chunk)
            bufferedBytes += Self.cost(of: chunk)
        }

        /// Whether the queue holds as much as it may: the socket's next read waits.
        var isFull: Bool { bufferedBytes >= TransportTuning.inboundHighWatermark }

        /// Takes the next chunk out (or the end); `nil` while the queue is empty and open.
        mutating func next() -> NextRead? {
            if let chunk = chunks.popFirst() {
                bufferedBytes -= Self.cost(of: chunk)
                var resume = false
                if readHeld && bufferedBytes <= TransportTuning.inboundLowWatermark {
                    readHeld = false
                    resume = true
                }
                return NextRead(result: .success(.data(chunk)), resumeReading: resume)
            }
            switch inbound {
            case .open: return nil
            case .eof, .shutByUs: return NextRead(result: .success(.eof))
            case .failed(let error): return NextRead(result: .failure(error))
            }
        }

        /// Empties the inbound queue; returns whether a held `read` must now be issued.
        mutating func dropChunks() -> Bool {
            chunks.removeAll()
            bufferedBytes = 0
            defer { readHeld = false }
            return readHeld
        }
    }

    let channel: any Channel
    let state = AsyncMonitor(State())

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

    /// The next chunk, end-of-file or the socket's error; waits while nothing is queued.
    /// - Throws: the socket's failure; "read cancelled" when the task is cancelled while it waits.
    func read() async throws(FlowError) -> ReadResult {
        // Tried once through the (inlined, specialized) lock before the generic wait: a chunk
        // already queued costs no more than a lock.
        var next = state.withLock { $0.next() }
        if next == nil {
            do {
                next = try await state.waitToTake { $0.next() }
            } catch {
                throw FlowError("read cancelled")
            }
        }
        guard let next else { throw FlowError("read cancelled") }
        if next.resumeReading { channel.read() }
        return try next.result.get()
    }

    /// Stops reading on our side only. The socket's input is deliberately not shut
    /// (`SHUT_RD`): on Linux that leaves the peer's later bytes unread in the kernel, and closing
    /// a socket with unread bytes sends a reset that can destroy what we sent last. Instead the
    /// socket goes on being read and its bytes are dropped, until the peer's FIN or our close.
    func shutdownRead() async {
        let resumeReading = state.withLock { state in
            if case .shutByUs = state.inbound { return false }
            state.inbound = .shutByUs
            state.discarding = true
            return state.dropChunks()
        }
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
        _ = try? await state.wait(until: {
            !$0.outboundIsOpen || $0.outstandingBytes <= TransportTuning.outboundLowWatermark
        })
        try state.withLock { (state: inout State) throws(WriteError) in
            if case .failed(let error) = state.outbound { throw .failed(error) }
        }
        if Task.isCancelled { throw .failed(FlowError("write cancelled")) }
    }

    /// On the event loop: a write reached the socket, or failed (with the socket's real errno).
    private func writeCompleted(_ count: Int, _ result: Result<Void, any Error>) {
        state.withLock { state in
            state.outstandingBytes -= count
            if case .failure(let error) = result {
                let failure = ErrorText.socketFailure(error)
                if state.failure == nil { state.failure = failure }
                if state.outboundIsOpen {
                    state.outbound = .failed(failure ?? state.failure ?? FlowError("connection closed"))
                }
            }
        }
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
        _ = try? await state.wait(until: { !$0.active || $0.peerEnded })
    }

    func reset() async {
        state.withLock { state in
            if state.outboundIsOpen { state.outbound = .shut }
            state.inbound = .shutByUs
            _ = state.dropChunks()
        }
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
        state.withLock { state in
            if state.outboundIsOpen { state.outbound = .shut }
            state.inbound = .shutByUs
            _ = state.dropChunks()
        }
        channel.close(promise: nil)
    }

    // MARK: Events from the event loop (SocketFlowHandler)

    /// Whether the pipeline's next socket read must wait (the queue is over its high watermark).
    /// Whether anything came from the peer that no read has taken yet: bytes, its FIN or a
    /// failure.
    var hasInboundPending: Bool {
        state.withLock { state -> Bool in
            guard case .open = state.inbound else { return true }
            return !state.chunks.isEmpty
        }
    }

    func shouldHoldRead() -> Bool {
        state.withLock { state in
            guard !state.discarding, state.isFull else {
                return false
            }
            state.readHeld = true
            return true
        }
    }

    /// Queues a chunk read from the socket; a waiting reader takes it at once.
    func received(_ buffer: ByteBuffer) {
        state.withLock { state in
            guard !state.discarding, state.inboundIsOpen else { return }
            state.enqueue(buffer)
        }
    }

    func inputEnded() {
        state.withLock { state in
            state.peerEnded = true
            if state.inboundIsOpen { state.inbound = .eof }
        }
    }

    func caughtError(_ error: any Error) {
        let tell = state.withLock { state in
            let failure = ErrorText.socketFailure(error) ?? FlowError("connection closed")
            if state.failure == nil { state.failure = failure }
            state.peerEnded = true
            if state.inboundIsOpen { state.inbound = .failed(failure) }
            return state.takeFailureCallback()
        }
        if let (body, failure) = tell { body(failure) }
    }

    /// The channel closed. When we did not close it and no failure was reported, NIO closed it
    /// on the socket's error notification (EPOLLHUP/EPOLLERR), whose errno it does not pass
    /// on to handlers; it is then a reset (NIO's own default for that path is ECONNRESET).
    func becameInactive() {
        let tell = state.withLock { state in
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
            // A write's failure (recorded when it completed) is told now; a socket closed
            // without a failure never will be.
            defer { state.onFailure = nil }
            return state.takeFailureCallback()
        }
        if let (body, failure) = tell { body(failure) }
    }

    /// Calls `body` once, on the event loop, when the socket fails (see
    /// ``SocketFlow/whenFailed(_:)``); at once when it failed already.
    func whenFailed(_ body: @escaping @Sendable (FlowError) -> Void) {
        let failed = state.withLock { state -> FlowError? in
            if let failure = state.failure { return failure }
            if state.active { state.onFailure = body }
            return nil
        }
        if let failed { body(failed) }
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

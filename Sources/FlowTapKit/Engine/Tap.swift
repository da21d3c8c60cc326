import FlowCore
import FlowEvents
import NIOCore
import Synchronization

/// An observing wrapper around one endpoint of a session: a ``ShutdownableFlow`` that forwards
/// every call to the real flow and reports what passes.
///
/// A session has two taps, one per endpoint, and the core ``FlowCore/proxy(_:_:clock:)`` runs
/// between them. The tap of the client reads `c2s` and writes `s2c`; the tap of the target the
/// other way round.
/// - Reading: each chunk read passes the direction's ``Gate`` before it is returned; a paused
///   gate holds it (reported as `held`), and the user's verdict may replace it (it returns the
///   edited bytes) or drop it (it reads the next chunk). End-of-file is reported once as `eof`;
///   a read failure is reported as `read_error` and rethrown unchanged.
/// - Writing: the tap first awaits the observers' room (their back-pressure suspends this task,
///   never a thread); then each chunk is reported as `data` (preceded by `edit` when it replaces a held
///   chunk) just before it is written, holding the direction's send lock, so injected bytes
///   (``inject(_:)``) land between whole chunks and the events follow the wire's order. A write
///   failure is reported as `write_error` and rethrown. ``shutdownWrite()`` is reported as
///   `shutdown` of the direction written (the FIN passed on), unless that direction failed.
/// - A read failure, or a write failure of the transport (not ``WriteError/closed``), aborts
///   the session (see ``SessionRecorder/abort()``): both endpoints are reset, so the healthy
///   side learns of the failure as a reset, the way a direct peer would, never as a FIN
///   flowtap made up.
/// - A chunk held when the session fails (``Gate/abandon()``, see ``Session/sourceFailed(_:_:)``)
///   is not delivered: the read throws, and nothing more is read.
/// - Cancellation: a read cancelled while its chunk is held at the gate, or a write or FIN
///   cancelled while it waits for the send lock, can no longer pass the bytes on in order; it
///   fails the session the same way (reported as `read_error`/`write_error` "cancelled", both
///   endpoints reset) and throws. An ``inject(_:)`` cancelled there returns "cancelled" and
///   writes nothing.
public struct Tap<Base: ShutdownableFlow>: ShutdownableFlow {
    /// The real endpoint.
    public let base: Base
    /// The direction this tap's reads belong to.
    public let readDirection: Direction
    let gate: Gate
    let recorder: SessionRecorder

    init(_ base: Base, reads direction: Direction, gate: Gate, recorder: SessionRecorder) {
        self.base = base
        self.readDirection = direction
        self.gate = gate
        self.recorder = recorder
    }

    private var writeDirection: Direction { readDirection.reversed }

    /// Reads from the endpoint, waits at the gate, returns the chunk (or its replacement).
    /// After ``endInput()`` it returns end-of-file (bytes read after that are discarded).
    public func read() async throws(FlowError) -> ReadResult {
        while true {
            if recorder.inputEnded(readDirection) { return recorder.reportEOF(readDirection) }
            let result: ReadResult
            do {
                result = try await base.read()
            } catch {
                if recorder.inputEnded(readDirection) { return recorder.reportEOF(readDirection) }
                recorder.report(.readError(readDirection, error.description), failing: readDirection)
                await recorder.abort()
                throw error
            }
            guard case .data(let buffer) = result, recorder.acceptRead(readDirection, buffer.readableBytes)
            else {
                return recorder.reportEOF(readDirection)
            }
            let verdict: Gate.Verdict
            // An open gate decides at once, without the cost of an async call.
            switch gate.begin(buffer) {
            case .decided(let decided): verdict = decided
            case .held(let hold):
                do {
                    verdict = try await gate.wait(hold)
                } catch {
                    // Read, held, and now never to be delivered: the stream is cut here.
                    let failure = FlowError("cancelled")
                    recorder.report(.readError(readDirection, failure.description), failing: readDirection)
                    await recorder.abort()
                    throw failure
                }
            }
            switch verdict {
            case .deliver:
                return result
            case .replace(let edited):
                recorder.noteEdit(readDirection, original: buffer)
                return .data(edited)
            case .drop:
                continue  // reported by the gate's owner when the user dropped it
            case .abandon:
                // The session ended on a failure while this chunk was held: it goes nowhere,
                // and the failure was reported by whoever found it.
                throw FlowError("session ended while this chunk was held")
            }
        }
    }

    /// Reports the chunk and writes it to the endpoint; a failure is reported as `write_error`
    /// and rethrown.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        // Both checked synchronously first: an async call each per chunk costs the data path.
        if !recorder.hasRoom() { await recorder.room() }
        let lock = recorder.sendLock(writeDirection)
        if !lock.tryLock() {
            do {
                try await lock.lock()
            } catch {
                throw await cancelledAtSendLock()
            }
        }
        defer { lock.unlock() }
        recorder.reportSent(writeDirection, buffer)
        try await send(buffer)
    }

    /// Writes bytes the user typed to the endpoint, between two chunks of the proxy, reported as
    /// `inject` and `data`. Returns why it cannot (the direction is shut or failed) without
    /// writing, else `nil`; a write failure is reported as `write_error` (and returned).
    func inject(_ buffer: ByteBuffer) async -> String? {
        await recorder.room()
        let lock = recorder.sendLock(writeDirection)
        do {
            try await lock.lock()
        } catch {
            return "cancelled"
        }
        defer { lock.unlock() }
        if let blocker = recorder.sendBlocker(writeDirection) { return blocker }
        recorder.reportInjected(writeDirection, buffer)
        do {
            try await send(buffer)
        } catch {
            return error.description
        }
        return nil
    }

    @inline(__always)
    private func send(_ buffer: ByteBuffer) async throws(WriteError) {
        do {
            try await base.write(buffer)
            recorder.countWrite(writeDirection, buffer.readableBytes)
        } catch {
            recorder.report(.writeError(writeDirection, error.description), failing: writeDirection)
            // A transport failure aborts; `.closed` is a write side shut on purpose (a `limit`
            // fault's FIN), after which the other direction goes on.
            if case .failed = error { await recorder.abort() }
            throw error
        }
    }

    /// A write or FIN whose task was cancelled while it waited for the send lock: it can no
    /// longer go out in order, so the direction fails (reported, then the session is aborted).
    private func cancelledAtSendLock() async -> WriteError {
        let failure = FlowError("cancelled")
        recorder.report(.writeError(writeDirection, failure.description), failing: writeDirection)
        await recorder.abort()
        return .failed(failure)
    }

    /// Sends FIN to the endpoint and reports `shutdown` of the direction written.
    public func shutdownWrite() async {
        let lock = recorder.sendLock(writeDirection)
        do {
            try await lock.lock()
        } catch {
            _ = await cancelledAtSendLock()
            return
        }
        defer { lock.unlock() }
        await base.shutdownWrite()
        recorder.reportShutdown(writeDirection)
    }

    /// Stops reading the endpoint.
    public func shutdownRead() async { await base.shutdownRead() }

    /// Closes the endpoint.
    public func close() async { await base.close() }

    /// Ends this tap's input as if the endpoint had sent FIN: a pending read returns end-of-file,
    /// later reads too, and the endpoint's read side is shut.
    func endInput() async {
        recorder.endInput(readDirection)
        gate.release()
        await base.shutdownRead()
    }
}

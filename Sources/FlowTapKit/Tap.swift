import FlowCore
import NIOCore
import Synchronization

/// An observing wrapper around one endpoint of a session: a ``ShutdownableFlow`` that forwards
/// every call to the real flow and reports what passes.
///
/// A session has two taps, one per endpoint, and the core ``FlowCore/proxy(_:_:clock:)`` runs
/// between them. The tap of the client reads `c2s` and writes `s2c`; the tap of the target the
/// other way round. Each read chunk is reported as `data` (with its offset in the direction),
/// then passes the direction's ``Gate`` before it is returned; end-of-file is reported once as
/// `eof`; read and write failures are reported with their reason and rethrown unchanged;
/// ``shutdownWrite()`` is reported as `shutdown` of the direction written (the FIN passed on),
/// unless that direction already failed.
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

    /// Reads from the endpoint, reports the chunk, waits at the gate, returns it.
    /// After ``endInput()`` it returns end-of-file (bytes read after that are discarded).
    public func read() async throws(FlowError) -> ReadResult {
        if recorder.inputEnded(readDirection) { return recorder.reportEOF(readDirection) }
        let result: ReadResult
        do {
            result = try await base.read()
        } catch {
            if recorder.inputEnded(readDirection) { return recorder.reportEOF(readDirection) }
            recorder.report(.readError(readDirection, error.description), failing: readDirection)
            throw error
        }
        guard case .data(let buffer) = result, !recorder.inputEnded(readDirection) else {
            return recorder.reportEOF(readDirection)
        }
        recorder.reportData(readDirection, buffer)
        await gate.pass(bytes: buffer.readableBytes)
        return result
    }

    /// Writes to the endpoint; a failure is reported as `write_error` and rethrown.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        do {
            try await base.write(buffer)
        } catch {
            recorder.report(.writeError(writeDirection, error.description), failing: writeDirection)
            throw error
        }
    }

    /// Sends FIN to the endpoint and reports `shutdown` of the direction written.
    public func shutdownWrite() async {
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

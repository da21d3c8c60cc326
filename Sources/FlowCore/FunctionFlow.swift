import NIOCore
import Synchronization

/// mirage-flow's module name for in-memory, function-based flows.
public typealias F = FunctionFlow

/// An in-memory flow driven by functions: reads come from an ``Input`` function, writes go to an
/// ``Output`` function (mirage-flow's `F`, `make ?close ?input ?output ()`).
///
/// - ``read()`` asks the input for up to ``defaultBufferSize`` (4096) bytes. An empty answer
///   means end-of-file: that read and every later one return ``ReadResult/eof``. A flow made
///   without an input is at end-of-file from the start.
/// - ``write(_:)`` hands the output the bytes not yet taken, again and again, until all are
///   taken. An answer of 0 means the output is full: the write throws ``WriteError/closed`` and
///   so does every later write (bytes taken before that stay written). A flow made without an
///   output throws ``WriteError/closed`` on every write.
/// - ``close()`` marks both directions closed, then calls the `close` function given at creation.
///
/// Build one with ``make(close:input:output:)`` or the constructors over strings, byte arrays
/// and `ByteBuffer`s (``string(input:output:)``, ``strings(input:output:)`` and the others).
public final class FunctionFlow: Flow {
    /// A source of input: called with the most bytes the flow can take (always at least one),
    /// it returns the next bytes, at most that many; an empty buffer means end-of-file.
    public typealias Input = @Sendable (_ maxLength: Int) async -> ByteBuffer
    /// A destination of output: called with the bytes still to write, it takes a prefix of them
    /// and returns how many it took; 0 means it is full (the flow is then closed for writing).
    public typealias Output = @Sendable (_ bytes: ByteBuffer) async -> Int

    /// The most bytes one ``read()`` returns: 4096, as in mirage-flow.
    public static let defaultBufferSize = 4096

    private struct State {
        var inputClosed: Bool
        var outputClosed: Bool
    }

    private let input: Input
    private let output: Output
    private let onClose: @Sendable () async -> Void
    private let state: Mutex<State>

    private init(
        close: @escaping @Sendable () async -> Void, input: Input?, output: Output?
    ) {
        self.onClose = close
        self.input = input ?? { _ in ByteBuffer() }
        self.output = output ?? { _ in 0 }
        self.state = Mutex(State(inputClosed: input == nil, outputClosed: output == nil))
    }

    /// A flow that reads from `input`, writes to `output`, and calls `close` when closed
    /// (mirage-flow's `make`). A missing input reads as end-of-file; a missing output is closed.
    public static func make(
        close: @escaping @Sendable () async -> Void = {}, input: Input? = nil, output: Output? = nil
    ) -> FunctionFlow {
        FunctionFlow(close: close, input: input, output: output)
    }

    /// The next chunk of at most ``defaultBufferSize`` bytes, or ``ReadResult/eof`` once the input
    /// returned nothing. Never throws.
    public func read() async throws(FlowError) -> ReadResult {
        if state.withLock({ $0.inputClosed }) { return .eof }
        let chunk = await input(Self.defaultBufferSize)
        if chunk.readableBytes == 0 {
            state.withLock { $0.inputClosed = true }
            return .eof
        }
        return .data(chunk)
    }

    /// Hands `buffer` to the output until all of it is taken.
    ///
    /// - Throws: ``WriteError/closed`` when the flow was closed, or when the output took nothing
    ///   (it is full); the flow is closed for writing from then on.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) {
        if state.withLock({ $0.outputClosed }) { throw .closed }
        var rest = buffer
        while rest.readableBytes > 0 {
            let taken = await output(rest)
            if taken <= 0 {
                state.withLock { $0.outputClosed = true }
                throw .closed
            }
            rest.moveReaderIndex(forwardBy: min(taken, rest.readableBytes))
        }
    }

    /// Writes each buffer in order; fails with ``WriteError/closed`` at once if the flow is
    /// closed, else at the first buffer the output cannot take.
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        if state.withLock({ $0.outputClosed }) { throw .closed }
        for buffer in buffers { try await write(buffer) }
    }

    /// Closes both directions (reads return end-of-file, writes fail with ``WriteError/closed``),
    /// then calls the `close` function given at creation. It returns at once otherwise: a
    /// function flow has no peer to wait for.
    public func close() async {
        state.withLock {
            $0.inputClosed = true
            $0.outputClosed = true
        }
        await onClose()
    }
}

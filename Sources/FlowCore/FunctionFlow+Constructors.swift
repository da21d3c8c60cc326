import NIOCore
import Synchronization

extension FunctionFlow {
    // MARK: Refill functions

    /// An input that returns the bytes of `buffer`, in chunks of at most the size asked, then
    /// end-of-file. The `ByteBuffer` form of mirage-flow's `input_cstruct`.
    public static func input(_ buffer: ByteBuffer) -> Input {
        let rest = Mutex(buffer)
        return { maxLength in
            rest.withLock { rest in
                rest.readSlice(length: min(maxLength, rest.readableBytes)) ?? ByteBuffer()
            }
        }
    }

    /// An input that returns the UTF-8 bytes of `string`, then end-of-file (`input_string`).
    public static func input(_ string: String) -> Input { input(ByteBuffer(string: string)) }

    /// An input that returns `bytes`, then end-of-file.
    public static func input(_ bytes: [UInt8]) -> Input { input(ByteBuffer(bytes: bytes)) }

    /// An input that returns each buffer's bytes in turn, then end-of-file; empty buffers are
    /// skipped, so a read never returns an empty chunk (`input_cstructs`). A read never spans
    /// two buffers: their boundaries are kept.
    public static func inputs(_ buffers: [ByteBuffer]) -> Input {
        sequence(buffers.map { input($0) })
    }

    /// ``inputs(_:)-([ByteBuffer])`` over strings (`input_strings`).
    public static func inputs(_ strings: [String]) -> Input { inputs(strings.map { ByteBuffer(string: $0) }) }

    /// ``inputs(_:)-([ByteBuffer])`` over byte arrays.
    public static func inputs(_ arrays: [[UInt8]]) -> Input { inputs(arrays.map { ByteBuffer(bytes: $0) }) }

    /// An output that fills `buffer` from the start and is full at its end (`output_bytes`,
    /// `output_cstruct`).
    public static func output(_ buffer: OutputBuffer) -> Output {
        { bytes in buffer.append(bytes) }
    }

    /// An output that fills each buffer in turn; empty buffers are skipped (`output_bytess`,
    /// `output_cstructs`). It is full when the last buffer is.
    public static func outputs(_ buffers: [OutputBuffer]) -> Output {
        let all = buffers.map { output($0) }
        return { bytes in
            for output in all {
                let n = await output(bytes)
                if n > 0 { return n }
            }
            return 0
        }
    }

    /// The first input in the list that still has bytes answers (mirage-flow's `iter` of `seq`).
    private static func sequence(_ all: [Input]) -> Input {
        { maxLength in
            for input in all {
                let chunk = await input(maxLength)
                if chunk.readableBytes > 0 { return chunk }
            }
            return ByteBuffer()
        }
    }

    // MARK: Flows

    /// A flow reading `input`'s UTF-8 bytes and writing into `output` (mirage-flow's
    /// `F.string`). Without `input` it reads end-of-file; without `output` writes are closed.
    public static func string(input: String? = nil, output: OutputBuffer? = nil) -> FunctionFlow {
        make(input: input.map { Self.input($0) }, output: output.map { Self.output($0) })
    }

    /// A flow reading each string in turn (empty ones skipped) and writing into the buffers in
    /// turn (mirage-flow's `F.strings`).
    public static func strings(input: [String]? = nil, output: [OutputBuffer]? = nil) -> FunctionFlow {
        make(input: input.map { inputs($0) }, output: output.map { outputs($0) })
    }

    /// A flow reading `input` and writing into `output`.
    public static func bytes(input: [UInt8]? = nil, output: OutputBuffer? = nil) -> FunctionFlow {
        make(input: input.map { Self.input($0) }, output: output.map { Self.output($0) })
    }

    /// A flow reading each byte array in turn (empty ones skipped) and writing into the buffers
    /// in turn.
    public static func byteArrays(input: [[UInt8]]? = nil, output: [OutputBuffer]? = nil) -> FunctionFlow {
        make(input: input.map { inputs($0) }, output: output.map { outputs($0) })
    }

    /// A flow reading `input`'s readable bytes and writing into `output` (mirage-flow's
    /// `F.cstruct`).
    public static func byteBuffer(input: ByteBuffer? = nil, output: OutputBuffer? = nil) -> FunctionFlow {
        make(input: input.map { Self.input($0) }, output: output.map { Self.output($0) })
    }

    /// A flow reading each buffer in turn (empty ones skipped) and writing into the buffers in
    /// turn (mirage-flow's `F.cstructs`).
    public static func byteBuffers(input: [ByteBuffer]? = nil, output: [OutputBuffer]? = nil) -> FunctionFlow
    {
        make(input: input.map { inputs($0) }, output: output.map { outputs($0) })
    }
}

import FlowCore
import FlowTestSupport
import NIOCore
import Testing

/// The cases of mirage-flow 1.4.0's own `test/test.ml`, value for value.
@Suite("F: function-based flows (mirage-flow test.ml)")
struct FunctionFlowTests {
    @Test("string input: whole string, then EOF, write closed")
    func inputString() async throws {
        let ic = F.string(input: "xxxxxxxxxx")
        #expect(text(try await ic.read()) == "xxxxxxxxxx")
        #expect(try await ic.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await ic.write(buf("hihi")) }
    }

    @Test("string output into 10 bytes: \"hello! wor\", third write closed, read EOF")
    func outputString() async throws {
        let output = OutputBuffer("xxxxxxxxxx")
        let oc = F.string(output: output)
        try await oc.write(buf("hell"))
        try await oc.write(buf("o! "))
        await expectWriteError(.closed) { () async throws(WriteError) in try await oc.write(buf("world")) }
        #expect(try await oc.read() == .eof)
        #expect(output.string == "hello! wor")
    }

    @Test("strings input: empty strings skipped, boundaries kept, EOF twice, write closed")
    func inputStrings() async throws {
        let ic = F.strings(input: ["", "123", "45", "6789", "0"])
        #expect(text(try await ic.read()) == "123")
        #expect(text(try await ic.read()) == "45")
        #expect(text(try await ic.read()) == "6789")
        #expect(text(try await ic.read()) == "0")
        #expect(try await ic.read() == .eof)
        #expect(try await ic.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await ic.write(buf("hihi")) }
    }

    @Test("strings output into [3, 0, 2, 3] bytes: \"hel\", \"lo\", \"! w\"")
    func outputStrings() async throws {
        let output = ["xxx", "", "xx", "xxx"].map { OutputBuffer($0) }
        let oc = F.strings(output: output)
        try await oc.write(buf("hell"))
        try await oc.write(buf("o! "))
        await expectWriteError(.closed) { () async throws(WriteError) in try await oc.write(buf("world")) }
        #expect(try await oc.read() == .eof)
        #expect(output.filter { $0.count > 0 }.map(\.string) == ["hel", "lo", "! w"])
    }

    @Test("ByteBuffer input: whole buffer, then EOF, write closed")
    func inputByteBuffer() async throws {
        let input = buf("xxxxxxxxxx")
        let ic = F.byteBuffer(input: input)
        #expect(try await ic.read() == .data(input))
        #expect(try await ic.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await ic.write(buf("hihi")) }
    }

    @Test("ByteBuffer output into 10 bytes")
    func outputByteBuffer() async throws {
        let output = OutputBuffer(buf("xxxxxxxxxx"))
        let oc = F.byteBuffer(output: output)
        try await oc.write(buf("hell"))
        try await oc.write(buf("o! "))
        await expectWriteError(.closed) { () async throws(WriteError) in try await oc.write(buf("world")) }
        #expect(try await oc.read() == .eof)
        #expect(output.byteBuffer == buf("hello! wor"))
    }

    @Test("ByteBuffers input: [\"123\", \"45\", \"\", \"6789\", \"0\"]")
    func inputByteBuffers() async throws {
        let ic = F.byteBuffers(input: ["123", "45", "", "6789", "0"].map(buf))
        #expect(text(try await ic.read()) == "123")
        #expect(text(try await ic.read()) == "45")
        #expect(text(try await ic.read()) == "6789")
        #expect(text(try await ic.read()) == "0")
        #expect(try await ic.read() == .eof)
        #expect(try await ic.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await ic.write(buf("hihi")) }
    }

    @Test("ByteBuffers output into [0, 3, 2, 3] bytes")
    func outputByteBuffers() async throws {
        let output = ["", "xxx", "xx", "xxx"].map { OutputBuffer(buf($0)) }
        let oc = F.byteBuffers(output: output)
        try await oc.write(buf("hell"))
        try await oc.write(buf("o! "))
        await expectWriteError(.closed) { () async throws(WriteError) in try await oc.write(buf("world")) }
        #expect(try await oc.read() == .eof)
        #expect(output.filter { $0.count > 0 }.map(\.byteBuffer) == ["hel", "lo", "! w"].map(buf))
    }

    @Test("byte arrays: the same cases over [UInt8]")
    func byteArrays() async throws {
        let ic = F.byteArrays(input: [[], [1, 2, 3], [4, 5]])
        #expect(try await ic.read() == .data(ByteBuffer(bytes: [1, 2, 3])))
        #expect(try await ic.read() == .data(ByteBuffer(bytes: [4, 5])))
        #expect(try await ic.read() == .eof)
        let single = F.bytes(input: [9, 8, 7])
        #expect(try await single.read() == .data(ByteBuffer(bytes: [9, 8, 7])))
        #expect(try await single.read() == .eof)
        let output = OutputBuffer(count: 4)
        let oc = F.bytes(output: output)
        try await oc.write(ByteBuffer(bytes: [1, 2, 3]))
        await expectWriteError(.closed) { () async throws(WriteError) in
            try await oc.write(ByteBuffer(bytes: [4, 5]))
        }
        #expect(output.bytes == [1, 2, 3, 4])
        #expect(output.written == 4)
    }

    @Test("reads come in chunks of at most 4096 bytes, in order")
    func chunkSize() async throws {
        let input = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let chunks = try await readAll(F.bytes(input: input))
        #expect(chunks.map(\.readableBytes) == [4096, 4096, 1808])
        #expect(joined(chunks) == input)
    }

    @Test("make: no input reads EOF, no output is closed, close runs the close function once")
    func make() async throws {
        let closed = OutputBuffer(count: 1)
        let flow = F.make(close: { _ = closed.append(ByteBuffer(bytes: [1])) })
        #expect(try await flow.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await flow.write(buf("a")) }
        await flow.close()
        #expect(closed.bytes == [1])
    }

    @Test("close: reads return EOF and writes fail although input and output remain")
    func closeStopsBoth() async throws {
        let output = OutputBuffer(count: 8)
        let flow = F.string(input: "abc", output: output)
        await flow.close()
        #expect(try await flow.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await flow.write(buf("z")) }
        #expect(output.written == 0)
    }

    @Test("writev writes in order and stops at the first buffer that does not fit")
    func writev() async throws {
        let output = OutputBuffer(count: 5)
        let flow = F.bytes(output: output)
        await expectWriteError(.closed) { () async throws(WriteError) in
            try await flow.writev([buf("ab"), buf("cd"), buf("ef"), buf("gh")])
        }
        #expect(output.string == "abcde")
    }

    @Test("ReadResult and WriteError read as in mirage-flow")
    func descriptions() {
        #expect(ReadResult.eof.description == "End-of-file")
        #expect(WriteError.closed.description == "attempted to write to a closed flow")
        #expect(
            WriteError.failed(FlowError("connection reset by peer")).description == "connection reset by peer"
        )
    }
}

import FlowCore
import FlowTestSupport
import NIOCore
import Testing

@Suite("Pipe: in-memory connected shutdownable flows")
struct PipeTests {
    @Test("chunks go across in order, with their boundaries")
    func chunks() async throws {
        let (a, b) = Pipe.pair()
        try await a.write(buf("one"))
        try await a.writev([buf("two"), buf("three")])
        #expect(text(try await b.read()) == "one")
        #expect(text(try await b.read()) == "two")
        #expect(text(try await b.read()) == "three")
    }

    @Test("half-close: A shuts its write side, B still writes and A still reads it")
    func halfCloseAtoB() async throws {
        let (a, b) = Pipe.pair()
        try await a.write(buf("request"))
        await a.shutdownWrite()
        #expect(text(try await b.read()) == "request")
        #expect(try await b.read() == .eof)
        #expect(try await b.read() == .eof)  // sticky
        try await b.write(buf("answer after FIN"))
        #expect(text(try await a.read()) == "answer after FIN")
        await expectWriteError(.closed) { () async throws(WriteError) in try await a.write(buf("late")) }
        await b.shutdownWrite()
        #expect(try await a.read() == .eof)
    }

    @Test("half-close the other way: B first, A keeps sending")
    func halfCloseBtoA() async throws {
        let (a, b) = Pipe.pair()
        await b.shutdownWrite()
        #expect(try await a.read() == .eof)
        for i in 0..<5 { try await a.write(buf("\(i)")) }
        await a.shutdownWrite()
        #expect(try await readAll(b).map { String(buffer: $0) } == ["0", "1", "2", "3", "4"])
    }

    @Test("shutdownRead drops what is queued and makes the peer's writes fail")
    func shutdownRead() async throws {
        let (a, b) = Pipe.pair()
        try await a.write(buf("dropped"))
        await b.shutdownRead()
        #expect(try await b.read() == .eof)
        await expectWriteError(.closed) { () async throws(WriteError) in try await a.write(buf("x")) }
        try await b.write(buf("still writes"))
        #expect(text(try await a.read()) == "still writes")
    }

    @Test("bounded: a writer waits while the pipe is full and goes on once read")
    func bounded() async throws {
        let (a, b) = Pipe.pair(capacity: 4)
        try await a.write(buf("abcd"))
        let writer = Task { try await a.write(buf("e")) }
        // The second write cannot complete until the reader makes room.
        try await Task.sleep(for: .milliseconds(50))
        #expect(text(try await b.read()) == "abcd")
        try await withTimeout { try await writer.value }
        #expect(text(try await b.read()) == "e")
    }

    @Test("a chunk larger than the capacity passes alone")
    func oversizedChunk() async throws {
        let (a, b) = Pipe.pair(capacity: 2)
        let big = ByteBuffer(repeating: 7, count: 1000)
        try await withTimeout { try await a.write(big) }
        #expect(try await b.read() == .data(big))
    }

    @Test("close returns only after the peer has closed too")
    func closeWaitsForPeer() async throws {
        let (a, b) = Pipe.pair()
        let closing = Task {
            await a.close()
            return true
        }
        #expect(try await b.read() == .eof)
        try await b.write(buf("reply while A closes"))
        #expect(text(try await a.read()) == "reply while A closes")
        try await Task.sleep(for: .milliseconds(20))
        #expect(closing.isCancelled == false)
        await b.close()
        #expect(try await withTimeout { await closing.value })
        await expectWriteError(.closed) { () async throws(WriteError) in try await a.write(buf("x")) }
    }

    @Test("close keeps waiting while the peer still writes and this end reads")
    func closeIgnoresTraffic() async throws {
        let (a, b) = Pipe.pair()
        let returned = Flag()
        let closing = Task {
            await a.close()
            returned.set()
        }
        #expect(try await b.read() == .eof)
        for index in 0..<3 {
            try await b.write(buf("reply \(index)"))
            #expect(text(try await a.read()) == "reply \(index)")
        }
        try await Task.sleep(for: .milliseconds(20))
        #expect(!returned.isSet, "close returned before the peer closed")
        await b.close()
        try await withTimeout { await closing.value }
        #expect(returned.isSet)
    }

    @Test("a waiting read is cancelled with a FlowError, and the pipe stays usable")
    func cancellation() async throws {
        let (a, b) = Pipe.pair()
        let reader = Task { () async throws(FlowError) -> ReadResult in try await b.read() }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        let result = await reader.result
        #expect(throws: FlowError("cancelled")) { try result.get() }
        try await a.write(buf("after"))
        #expect(text(try await b.read()) == "after")
    }
}

import FlowCore
import FlowTestSupport
import NIOCore
import Synchronization
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

    @Test("bounded: a writer waits while the pipe is full, and its bytes go in only once there is room")
    func bounded() async throws {
        let (a, b) = Pipe.pair(capacity: 4)
        try await a.write(buf("abcd"))
        // A write into the full pipe cannot complete: cancelled, it fails, and its bytes never
        // arrive. (Had it gone in at once, the cancellation would have come too late to matter.)
        let refused = Task { try await a.write(buf("X")) }
        refused.cancel()
        switch await refused.result {
        case .success: Issue.record("a write into a full pipe went in without a reader")
        case .failure(let error): #expect(error as? WriteError == .failed(FlowError("cancelled")))
        }
        // The next writer is still waiting while nothing is read...
        let returned = Flag()
        let writer = Task {
            try await a.write(buf("e"))
            returned.set()
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!returned.isSet, "a write into a full pipe returned before anything was read")
        // ...and goes on once the reader makes room; "X" was never queued.
        #expect(text(try await b.read()) == "abcd")
        try await withTimeout { try await writer.value }
        #expect(returned.isSet)
        await a.shutdownWrite()
        #expect(try await readAll(b).map { String(buffer: $0) } == ["e"])
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
        // The order in which "B closes" and "A's close returned" happen, as each side sees it.
        let order = Mutex<[String]>([])
        let closing = Task {
            await a.close()
            order.withLock { $0.append("A's close returned") }
        }
        #expect(try await b.read() == .eof)
        try await b.write(buf("reply while A closes"))
        #expect(text(try await a.read()) == "reply while A closes")
        try await Task.sleep(for: .milliseconds(20))
        order.withLock { $0.append("B closes") }
        await b.close()
        try await withTimeout { await closing.value }
        #expect(order.withLock { $0 } == ["B closes", "A's close returned"])
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

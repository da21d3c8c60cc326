import FlowCore
import FlowTestSupport
import NIOCore
import Testing

/// A flow whose every read advances a manual clock by a fixed step before answering.
struct TickingFlow: Flow {
    let base: FunctionFlow
    let clock: ManualClock
    let step: Duration
    func read() async throws(FlowError) -> ReadResult {
        clock.advance(by: step)
        return try await base.read()
    }
    func write(_ buffer: ByteBuffer) async throws(WriteError) { try await base.write(buffer) }
    func close() async { await base.close() }
}

@Suite("copy: statistics and errors")
struct CopyTests {
    @Test("exact bytes and ops, and an exact duration from a manual clock")
    func stats() async throws {
        let clock = ManualClock()
        let source = TickingFlow(
            base: F.strings(input: ["123", "45", "6789", "0"]), clock: clock, step: .milliseconds(250))
        let output = OutputBuffer(count: 10)
        let stats = try await copy(from: source, to: F.bytes(output: output), clock: clock)
        #expect(output.string == "1234567890")
        // Five reads (four chunks and the EOF) at 250 ms each.
        #expect(
            stats
                == Stats(
                    readBytes: 10, readOps: 4, writeBytes: 10, writeOps: 4, duration: .milliseconds(1250)))
        #expect(stats.readBytesPerSecond == 8)
        #expect(stats.description.hasPrefix("read 10 B in 4 ops (8 B/s, 3.2 ops/s); wrote 10 B in 4 ops"))
        #expect(stats.description.hasSuffix("; 1.250 s"))
    }

    @Test("a write error names the destination and keeps the partial stats")
    func destinationError() async throws {
        let output = OutputBuffer(count: 5)
        let clock = ManualClock()
        await #expect(
            throws: CopyError.destination(
                .closed, stats: Stats(readBytes: 8, readOps: 3, writeBytes: 5, writeOps: 2))
        ) {
            // "abc" and "de" fill the 5 bytes; "fgh" finds it full. "ijk" is never read.
            _ = try await copy(
                from: F.strings(input: ["abc", "de", "fgh", "ijk"]), to: F.bytes(output: output), clock: clock
            )
        }
        #expect(output.string == "abcde")
    }

    @Test("a read error names the source and keeps the partial stats")
    func sourceError() async throws {
        let source = FailingFlow(
            reads: [buf("ab"), buf("c")], readFailure: FlowError("connection reset by peer"))
        let sink = FailingFlow()
        let error = await #expect(throws: CopyError.self) {
            _ = try await copy(from: source, to: sink, clock: ManualClock())
        }
        #expect(
            error
                == .source(
                    FlowError("connection reset by peer"),
                    stats: Stats(readBytes: 3, readOps: 2, writeBytes: 3, writeOps: 2)))
        #expect(error?.description == "read error: connection reset by peer")
        #expect(joined(sink.written) == Array("abc".utf8))
    }

    @Test("copy does not close or shut either flow")
    func leavesFlowsOpen() async throws {
        let source = FailingFlow(reads: [buf("x")])
        let sink = FailingFlow()
        _ = try await copy(from: source, to: sink)
        #expect(source.shutdowns.isEmpty && sink.shutdowns.isEmpty)
    }

    @Test("Stats prints rates per second, not per nanosecond")
    func statsDescription() {
        let stats = Stats(
            readBytes: 3 << 20, readOps: 48, writeBytes: 3 << 20, writeOps: 48, duration: .seconds(2))
        #expect(
            stats.description
                == "read 3.0 MiB in 48 ops (1.5 MiB/s, 24.0 ops/s); wrote 3.0 MiB in 48 ops (1.5 MiB/s, 24.0 ops/s); 2.000 s"
        )
        #expect(Stats().description == "read 0 B in 0 ops; wrote 0 B in 0 ops; 0 s")
        #expect(ByteFormat.bytes(1536) == "1.5 KiB")
        #expect(ByteFormat.bytes(918) == "918 B")
        #expect(ByteFormat.duration(0.000_023) == "23 µs")
        #expect(ByteFormat.duration(0.0125) == "12.5 ms")
    }
}

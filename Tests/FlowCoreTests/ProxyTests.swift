import FlowCore
import FlowTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

@Suite("proxy: both directions, half-close passed on, errors by side")
struct ProxyTests {
    @Test("both directions complete and each destination sees EOF once its source ended")
    func bothDirections() async throws {
        let (client, proxyA) = Pipe.pair()
        let (proxyB, server) = Pipe.pair()
        let running = Task { try await proxy(proxyA, proxyB, clock: ManualClock()) }

        try await client.write(buf("GET / HTTP/1.0\r\n\r\n"))
        await client.shutdownWrite()
        #expect(joined(try await readAll(server)) == Array("GET / HTTP/1.0\r\n\r\n".utf8))
        // The server answers after the client's FIN: the other direction still lives.
        try await server.write(buf("HTTP/1.0 200 OK\r\n\r\n"))
        try await server.write(buf("body"))
        await server.shutdownWrite()
        #expect(joined(try await readAll(client)) == Array("HTTP/1.0 200 OK\r\n\r\nbody".utf8))

        let (up, down) = try await withTimeout { try await running.value }
        #expect(up.readBytes == 18 && up.writeBytes == 18 && up.readOps == 1)
        #expect(down.readBytes == 23 && down.readOps == 2 && down.writeOps == 2)
    }

    @Test("a direction's end shuts the source's read side, then the destination's write side")
    func shutdownOrder() async throws {
        // The two directions run at once, so only the order within each direction is fixed:
        // a → b ends with a.shutdownRead then b.shutdownWrite (after a's last byte was written
        // to b); b → a with b.shutdownRead then a.shutdownWrite.
        let journal = Journal()
        let a = FailingFlow(reads: [buf("x")], name: "a", journal: journal)
        let b = FailingFlow(reads: [], name: "b", journal: journal)
        _ = try await proxy(a, b)
        #expect(
            journal.only(["b.write", "a.shutdownRead", "b.shutdownWrite"]) == [
                "b.write", "a.shutdownRead", "b.shutdownWrite",
            ])
        #expect(
            journal.only(["b.shutdownRead", "a.shutdownWrite"]) == ["b.shutdownRead", "a.shutdownWrite"])
        #expect(a.shutdowns.sorted() == ["read", "write"])
        #expect(b.shutdowns.sorted() == ["read", "write"])
        #expect(joined(b.written) == [UInt8(ascii: "x")])
    }

    @Test("one side's failing write is reported as that side while the other direction finishes")
    func oneSideFails() async throws {
        // b refuses writes: the a → b direction fails; b → a still delivers all of b's data.
        let a = FailingFlow(reads: [buf("to b")])
        let b = FailingFlow(reads: [buf("from "), buf("b")], acceptedWrites: 0)
        let error = await #expect(throws: ProxyError.self) { _ = try await proxy(a, b, clock: ManualClock()) }
        guard case .a(.destination(let writeError, let partial), let bToA)? = error else {
            Issue.record("expected a direction-a destination error, got \(String(describing: error))")
            return
        }
        #expect(writeError == .failed(FlowError("broken pipe", errno: 32)))
        #expect(partial.readBytes == 4 && partial.writeBytes == 0)
        #expect(bToA.writeBytes == 6)
        #expect(joined(a.written) == Array("from b".utf8))
        #expect(error?.description == "flow proxy a: write error: broken pipe")
    }

    @Test("both directions failing gives .both with each error")
    func bothFail() async throws {
        let a = FailingFlow(readFailure: FlowError("reset a"))
        let b = FailingFlow(readFailure: FlowError("reset b"))
        let error = await #expect(throws: ProxyError.self) { _ = try await proxy(a, b) }
        #expect(error?.description == "flow proxy a: read error: reset a; flow proxy b: read error: reset b")
    }
}

/// Collects log messages so tests can read what `forward` said.
final class LogCollector: Sendable {
    let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in Handler(collector: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let collector: LogCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            collector.lines.withLock { $0.append("\(event.level) \(event.message)") }
        }
    }
}

@Suite("AnyFlow, forward and proxy of erased flows")
struct ForwardTests {
    @Test("AnyFlow keeps the name and passes every call through")
    func anyFlow() async throws {
        let output = OutputBuffer(count: 3)
        let flow = AnyFlow(name: "mem", F.string(input: "in", output: output))
        #expect("\(flow)" == "mem")
        #expect(text(try await flow.read()) == "in")
        try await flow.writev([buf("o"), buf("ut")])
        #expect(output.string == "out")
    }

    @Test("forward stops at EOF, logs chunk sizes, and does not close the destination")
    func forwardEOF() async throws {
        let logs = LogCollector()
        let output = OutputBuffer(count: 16)
        await forward(
            from: AnyFlow(name: "src", F.strings(input: ["ab", "cde"])),
            to: AnyFlow(name: "dst", F.bytes(output: output)), logger: logs.logger())
        #expect(output.written == 5)
        #expect(
            logs.all == [
                "debug forward[src => dst] 2 bytes", "debug forward[src => dst] 3 bytes",
                "info forward[src => dst] EOF",
            ])
    }

    @Test("forward stops at a write error; verbose shows the contents escaped")
    func forwardWriteError() async throws {
        let logs = LogCollector()
        let output = OutputBuffer(count: 3)
        await forward(
            from: AnyFlow(name: "src", F.strings(input: ["a\r\n", "\u{1}zz", "never read"])),
            to: AnyFlow(name: "dst", F.bytes(output: output)), verbose: true, logger: logs.logger())
        #expect(output.string == "a\r\n")
        #expect(
            logs.all == [
                "debug forward[src => dst] [a\\r\\n]", "debug forward[src => dst] [\\x01zz]",
                "error forward[src => dst] attempted to write to a closed flow",
            ])
    }

    @Test("forward stops at a read error and logs it")
    func forwardReadError() async throws {
        let logs = LogCollector()
        await forward(
            from: AnyFlow(name: "s", FailingFlow(readFailure: FlowError("connection reset by peer"))),
            to: AnyFlow(name: "d", FailingFlow()), logger: logs.logger())
        #expect(logs.all == ["error forward[s => d] connection reset by peer"])
    }

    @Test("proxy of erased flows forwards both ways and returns when both ended")
    func proxyErased() async throws {
        let toA = OutputBuffer(count: 4)
        let toB = OutputBuffer(count: 4)
        try await withTimeout {
            await proxy(
                AnyFlow(name: "a", F.string(input: "ping", output: toA)),
                AnyFlow(name: "b", F.string(input: "pong", output: toB)))
        }
        #expect(toA.string == "pong")
        #expect(toB.string == "ping")
    }
}

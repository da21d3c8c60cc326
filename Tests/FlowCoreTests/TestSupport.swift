import FlowCore
import FlowTestSupport
import NIOCore
import Synchronization
import Testing

/// Reads a flow to its end and returns every chunk.
func readAll(_ flow: some Flow) async throws -> [ByteBuffer] {
    var chunks: [ByteBuffer] = []
    while case .data(let chunk) = try await flow.read() { chunks.append(chunk) }
    return chunks
}

/// Runs `body` and fails the test if it takes longer than `seconds` (a hang guard, not a speed
/// check).
func withTimeout<T: Sendable>(
    seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            Issue.record("timed out after \(seconds) s", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        group.cancelAll()
        return value
    }
}

/// A flow that reads given chunks and then fails, or fails every write after `acceptedWrites`.
/// It stands for a broken transport in copy/proxy tests.
final class FailingFlow: ShutdownableFlow {
    let reads: [ByteBuffer]
    let readFailure: FlowError?
    let acceptedWrites: Int
    let writeFailure: WriteError
    /// Where shutdowns and writes are also noted, as "NAME.shutdownRead", "NAME.write", … in
    /// the order they happen, shared with other flows to see the order across flows.
    let journal: Journal?
    let name: String
    private struct State {
        var readIndex = 0
        var written: [ByteBuffer] = []
        var shutdowns: [String] = []
    }
    private let state = Mutex(State())

    init(
        reads: [ByteBuffer] = [], readFailure: FlowError? = nil, acceptedWrites: Int = .max,
        writeFailure: WriteError = .failed(FlowError("broken pipe", errno: 32)), name: String = "",
        journal: Journal? = nil
    ) {
        self.name = name
        self.journal = journal
        self.reads = reads
        self.readFailure = readFailure
        self.acceptedWrites = acceptedWrites
        self.writeFailure = writeFailure
    }

    var written: [ByteBuffer] { state.withLock { $0.written } }
    var shutdowns: [String] { state.withLock { $0.shutdowns } }

    func read() async throws(FlowError) -> ReadResult {
        let index: Int = state.withLock { s in
            defer { s.readIndex += 1 }
            return s.readIndex
        }
        if index < reads.count { return .data(reads[index]) }
        if let readFailure { throw readFailure }
        return .eof
    }

    func write(_ buffer: ByteBuffer) async throws(WriteError) {
        let ok: Bool = state.withLock { s in
            guard s.written.count < acceptedWrites else { return false }
            s.written.append(buffer)
            return true
        }
        if !ok { throw writeFailure }
        journal?.note("\(name).write")
    }

    func close() async {}
    func shutdownWrite() async {
        state.withLock { $0.shutdowns.append("write") }
        journal?.note("\(name).shutdownWrite")
    }
    func shutdownRead() async {
        state.withLock { $0.shutdowns.append("read") }
        journal?.note("\(name).shutdownRead")
    }
}

/// What happened, in order, noted by several flows or tasks.
final class Journal: Sendable {
    private let entries = Mutex<[String]>([])
    func note(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }

    /// The entries among `wanted`, in the order they happened.
    func only(_ wanted: Set<String>) -> [String] { all.filter(wanted.contains) }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

import FlowCore
import Foundation
import NIOCore
import Testing

@testable import FlowTransport

/// Thrown by ``within(_:_:sourceLocation:_:)`` when the body did not finish in time.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body`, failing the test if it takes longer than `seconds` (the body is cancelled).
func within<T: Sendable>(
    _ seconds: Double = 10, _ what: String = "operation",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            Issue.record("timed out after \(seconds) s: \(what)", sourceLocation: sourceLocation)
            throw TimedOut(what: what)
        }
        return value
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), different for each seed.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var index = 0
        while index < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            var word = (state &* 0x2545_F491_4F6C_DD1D).littleEndian
            let take = min(8, count - index)
            withUnsafeBytes(of: &word) { source in
                raw.baseAddress!.advanced(by: index).copyMemory(from: source.baseAddress!, byteCount: take)
            }
            index += take
        }
    }
    return bytes
}

/// A buffer holding `text`.
func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// Reads until end-of-file and returns every byte.
func readAll(_ flow: some Flow, expecting: Int = 0) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(expecting)
    while case .data(let chunk) = try await flow.read() {
        bytes.append(contentsOf: chunk.readableBytesView)
    }
    return bytes
}

/// Reads exactly `count` bytes (fails the test at a premature end-of-file).
func readExactly(_ flow: some Flow, _ count: Int) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
        guard case .data(let chunk) = try await flow.read() else {
            Issue.record("end-of-file after \(bytes.count) of \(count) bytes")
            return bytes
        }
        bytes.append(contentsOf: chunk.readableBytesView)
    }
    return bytes
}

/// Writes `bytes` in chunks of `chunkSize`.
func writeAll(_ flow: some Flow, _ bytes: [UInt8], chunkSize: Int = 64 * 1024) async throws {
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunkSize, bytes.count)
        try await flow.write(ByteBuffer(bytes: bytes[offset..<end]))
        offset = end
    }
}

/// A listener on `listen`, plus a client connected to it and the server side of that
/// connection.
struct Connection: Sendable {
    let listener: Listener
    let client: SocketFlow
    let server: SocketFlow

    static func open(_ listen: Address = .tcpListen(host: "127.0.0.1", port: 0)) async throws -> Connection {
        try await within(10, "connect \(listen)") {
            let listener = try await Listener.bind(listen)
            let target: Address
            switch listen {
            case .tcpListen(let host, _):
                target = .tcp(host: host, port: listener.localSocketAddress!.port!)
            case .unixListen(let path):
                target = .unix(path: path)
            default:
                fatalError("not a listen address")
            }
            async let accepted = listener.accept()
            let client = try await Connector.connect(target)
            guard let server = try await accepted else { throw TimedOut(what: "accept returned nil") }
            return Connection(listener: listener, client: client, server: server)
        }
    }

    /// Closes both flows (concurrently, since each close waits for the other side) and the
    /// listener.
    func closeAll() async throws {
        try await within(10, "close") {
            async let a: Void = client.close()
            async let b: Void = server.close()
            _ = await (a, b)
            await listener.close()
        }
    }
}

/// A fresh temporary directory for Unix sockets (short path: `sun_path` is 108 bytes).
func temporaryDirectory() throws -> String {
    let path = "/tmp/flowtap-test-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The number of open file descriptors of this process.
func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// The bytes a flow holds unread in its inbound queue (white-box, for the backpressure test).
func queuedInboundBytes(_ flow: SocketFlow) -> Int {
    flow.core.state.withLock { $0.bufferedBytes }
}

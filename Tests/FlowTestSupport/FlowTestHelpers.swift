import FlowCore
import FlowFaults
import NIOCore
import Testing

/// Bytes of a `ByteBuffer` as a `String`, for readable expectations.
public func text(_ result: ReadResult) -> String? {
    if case .data(let buffer) = result { return String(buffer: buffer) }
    return nil
}

/// A buffer holding `s`.
public func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

/// Concatenation of chunks.
public func joined(_ chunks: [ByteBuffer]) -> [UInt8] {
    chunks.flatMap { Array($0.readableBytesView) }
}

/// Expects `body` to throw exactly `expected`.
public func expectWriteError(
    _ expected: WriteError, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws(WriteError) -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(expected), the write succeeded", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
    }
}

/// The seeded generator of the property and stress tests: a failing seed can be replayed.
public typealias SeededRandom = SplitMix64

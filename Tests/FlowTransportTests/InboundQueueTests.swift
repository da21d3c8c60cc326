import NIOCore
import Testing

@testable import FlowTransport

/// The socket flow's inbound queue counts the storage its chunks keep alive, so that small
/// chunks cut from big buffers (swift-nio-ssl's plaintext of each record) stop the socket's
/// reads as soon as big chunks would.
@Suite struct InboundQueueTests {
    /// A chunk of `readable` bytes in a buffer of `capacity`.
    static func chunk(readable: Int, capacity: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeRepeatingByte(0x61, count: readable)
        return buffer
    }

    @Test("one-byte chunks of 32 KiB buffers fill the queue at 16, not at 512 Ki of them")
    func smallChunksOfBigBuffers() throws {
        var state = SocketFlowCore.State()
        var queued = 0
        while !state.isFull && queued < 1_000 {
            state.enqueue(Self.chunk(readable: 1, capacity: 32 * 1024))
            queued += 1
        }
        #expect(state.isFull)
        #expect(queued == TransportTuning.inboundHighWatermark / (32 * 1024))
        // Taking them out gives the bytes back in order and empties the count.
        var taken = 0
        while let next = state.next(), case .success(.data(let chunk)) = next.result {
            #expect(chunk.readableBytes == 1)
            taken += 1
        }
        #expect(taken == queued && state.bufferedBytes == 0 && !state.isFull)
    }

    @Test("full chunks count their bytes: the watermark is still 512 KiB of data")
    func fullChunks() {
        var state = SocketFlowCore.State()
        for _ in 0..<7 { state.enqueue(Self.chunk(readable: 64 * 1024, capacity: 64 * 1024)) }
        #expect(!state.isFull)
        state.enqueue(Self.chunk(readable: 64 * 1024, capacity: 64 * 1024))
        #expect(state.isFull && state.bufferedBytes == 512 * 1024)
    }
}

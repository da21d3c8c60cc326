import NIOCore
import NIOPosix

/// The buffer sizes and options every socket channel of this module gets, in one place.
enum TransportTuning {
    /// Above this many unread inbound bytes, the channel stops reading the socket (so TCP's
    /// window pushes back on the sender).
    static let inboundHighWatermark = 512 * 1024
    /// Reading the socket resumes once the reader has brought the unread bytes down to this.
    static let inboundLowWatermark = 64 * 1024
    /// A write suspends while more than this many bytes wait in the channel for the socket.
    static let outboundHighWatermark = 512 * 1024
    /// A suspended write resumes once the waiting bytes are down to this.
    static let outboundLowWatermark = 128 * 1024
    /// How long a connect may take.
    static let connectTimeout = TimeAmount.seconds(10)
    /// Accepted connections nobody took with `accept()` yet, beyond which accepting pauses.
    /// Small, because each holds a descriptor the caller's session cap does not count (see
    /// ``Listener/maximumAcceptedAhead``).
    static let acceptQueueLimit = 4
    /// Connections one wake-up of the listening socket accepts at most.
    static let acceptsPerRead = 4
    /// The listen backlog.
    static let backlog: Int32 = 256

    /// Read buffers adapt between 64 bytes (request/response traffic) and 256 KiB (bulk, as
    /// `socat -b 131072`).
    static var recvAllocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maximumReadSize)
    }

    /// The largest single socket read.
    static let maximumReadSize = 256 * 1024

    /// The event loops every channel of this module runs on: NIO's shared singleton.
    static var group: MultiThreadedEventLoopGroup { .singleton }
}

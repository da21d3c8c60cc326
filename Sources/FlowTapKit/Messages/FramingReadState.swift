import FlowCore
import FlowEvents
import FlowFramers
import NIOCore

/// The reading task's state of a ``FramingFlow`` (kept in a lock only to be `Sendable`: one task
/// reads). Not nested in the generic flow: a type nested in a generic class is generic too, and
/// unspecialized code looked its metadata up on every read.
struct FramingReadState: Sendable {
    /// How the source's stream ended, once read: passed on after the bytes read before it.
    enum Ending: Sendable {
        case eof
        case failed(FlowError)
    }

    /// A message found, waiting for the piece that carries its last byte.
    struct Completed: Sendable {
        var end: Int
        var message: DecodedMessage
    }

    /// Bytes read and fed, not returned yet; the first is at stream offset `returned`.
    var leftover: ByteBuffer?
    var returned = 0
    /// The bytes fed to the decoder.
    var fed = 0
    /// Messages found whose last byte was not returned yet, from `head` on.
    var completed: [Completed] = []
    var head = 0
    var ending: Ending?
    /// The direction's decoding mode after the last feed.
    var mode: MessageProgress.Mode = .undecided
    /// Whether the last feed ended inside a message.
    var inMessage = false
    /// Where the message in progress started, and when its first byte was read.
    var messageStart: (offset: Int, time: ContinuousClock.Instant)?
    /// The decoder's name for events, once known.
    var proto: String?

    var hasCompleted: Bool { head < completed.count }
    var leftoverCount: Int { leftover?.readableBytes ?? 0 }
}

import FlowEvents
import FlowFramers
import Synchronization

/// The message decoding of one session (`--decode`, not `none`): the ``SharedFrameConversation``
/// both directions' ``FramingFlow``s feed, and what they share to measure a reply's latency (the
/// time each request's last byte was read, until its first reply comes).
///
/// Bounded: the times of the last ``requestsKept`` requests are kept; a reply to an older
/// request carries `request` but no `latency_ms`.
final class SessionDecoder: Sendable {
    /// The conversation both directions feed.
    let conversation: SharedFrameConversation
    /// How many requests' times are kept for their first reply.
    static let requestsKept = 1024

    private let requestTimes: Mutex<RequestTimes>

    /// Decoding by `spec` (not `none`); with `auto`, `portHint` (the target's TCP port) guides
    /// the decision.
    init(_ spec: DecoderSpec, portHint: Int?) {
        conversation = SharedFrameConversation(spec, portHint: portHint)
        requestTimes = Mutex(RequestTimes())
    }

    /// Notes that request `index` of `side` ended (its last byte was read) at `time`, when the
    /// request's direction had spent `held` nanoseconds held at its gate in all (``Gate/heldTime``).
    func requestEnded(_ side: FrameSide, index: Int, at time: ContinuousClock.Instant, held: UInt64) {
        requestTimes.withLock { $0.note(side, index: index, time: time, held: held) }
    }

    /// The latency of a first reply whose first byte was read at `firstByte`, answering request
    /// `request` of `side`, whose direction has now spent `held` nanoseconds held in all:
    /// nanoseconds from the request's last byte, less the time its direction was held since
    /// then (a request held at a pause or a breakpoint reaches the server only when let go;
    /// the server's latency does not count the user's wait). Nil when that time is not kept
    /// any more. The request's time is forgotten.
    func latency(
        answering request: Int, of side: FrameSide, firstByte: ContinuousClock.Instant, held: UInt64
    ) -> UInt64? {
        guard let end = requestTimes.withLock({ $0.take(side, index: request) }) else { return nil }
        let elapsed = end.time.duration(to: firstByte)
        guard elapsed >= .zero else { return 0 }
        let (seconds, attoseconds) = elapsed.components
        let (total, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let heldSince = held >= end.held ? held - end.held : 0
        let nanoseconds = total &+ UInt64(attoseconds / 1_000_000_000)
        return nanoseconds > heldSince ? nanoseconds - heldSince : 0
    }

    /// The last ``requestsKept`` request end times of each side, by index: a ring (slot
    /// `index % requestsKept`, checked against the index stored there) grown as indices come,
    /// so a short session keeps a few slots.
    private struct RequestTimes {
        var slots: [[(index: Int, time: ContinuousClock.Instant, held: UInt64)?]] = [[], []]

        mutating func note(_ side: FrameSide, index: Int, time: ContinuousClock.Instant, held: UInt64) {
            guard index >= 0 else { return }
            let s = side == .client ? 0 : 1
            let slot = index % SessionDecoder.requestsKept
            while slots[s].count <= slot { slots[s].append(nil) }
            slots[s][slot] = (index, time, held)
        }

        mutating func take(_ side: FrameSide, index: Int) -> (time: ContinuousClock.Instant, held: UInt64)? {
            guard index >= 0 else { return nil }
            let s = side == .client ? 0 : 1
            let slot = index % SessionDecoder.requestsKept
            guard slot < slots[s].count, let kept = slots[s][slot], kept.index == index else { return nil }
            slots[s][slot] = nil
            return (kept.time, kept.held)
        }
    }
}

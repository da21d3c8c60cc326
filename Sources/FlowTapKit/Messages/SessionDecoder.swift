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

    /// Notes that request `index` of `side` ended (its last byte was read) at `time`.
    func requestEnded(_ side: FrameSide, index: Int, at time: ContinuousClock.Instant) {
        requestTimes.withLock { $0.note(side, index: index, time: time) }
    }

    /// The latency of a first reply whose first byte was read at `firstByte`, answering request
    /// `request` of `side`: nanoseconds from the request's last byte, or nil when that time is
    /// not kept any more (or the clock disagrees). The request's time is forgotten.
    func latency(answering request: Int, of side: FrameSide, firstByte: ContinuousClock.Instant) -> UInt64? {
        guard let end = requestTimes.withLock({ $0.take(side, index: request) }) else { return nil }
        let elapsed = end.duration(to: firstByte)
        guard elapsed >= .zero else { return 0 }
        let (seconds, attoseconds) = elapsed.components
        let (total, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        return total &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// The last ``requestsKept`` request end times of each side, by index: a ring (slot
    /// `index % requestsKept`, checked against the index stored there) grown as indices come,
    /// so a short session keeps a few slots.
    private struct RequestTimes {
        var slots: [[(index: Int, time: ContinuousClock.Instant)?]] = [[], []]

        mutating func note(_ side: FrameSide, index: Int, time: ContinuousClock.Instant) {
            guard index >= 0 else { return }
            let s = side == .client ? 0 : 1
            let slot = index % SessionDecoder.requestsKept
            while slots[s].count <= slot { slots[s].append(nil) }
            slots[s][slot] = (index, time)
        }

        mutating func take(_ side: FrameSide, index: Int) -> ContinuousClock.Instant? {
            guard index >= 0 else { return nil }
            let s = side == .client ? 0 : 1
            let slot = index % SessionDecoder.requestsKept
            guard slot < slots[s].count, let kept = slots[s][slot], kept.index == index else { return nil }
            slots[s][slot] = nil
            return kept.time
        }
    }
}

/// When a replay sends each step (chunk or FIN) of its side of the captured session.
///
/// Whatever the timing, the steps go in their captured order, one write per captured chunk
/// (chunk boundaries kept), and the FIN goes where the captured side sent it.
public enum ReplayTiming: String, Sendable, Equatable, CaseIterable {
    /// Keep the captured gaps: before each step, wait as long as passed in the capture between
    /// the previous step of the same side (or the session's `open`, for the first step) and
    /// this one, capped at ``Replayer/Options/gapCap`` (10 s by default). Time spent waiting on
    /// the network is not subtracted: the gaps are kept, not the absolute schedule.
    case original
    /// No waiting: every step goes as soon as the previous one was handed to the socket.
    case fast
    /// Before each step, wait until the peer has sent at least as many bytes as it had sent
    /// before that step in the capture (0 for a side that spoke first, so its first chunk goes
    /// at once); when the replay compares messages, as many whole messages instead (an answer
    /// that is a byte shorter than captured, e.g. `TIME`'s, does not make the replay wait). The wait ends early when the peer sends FIN or fails, and gives up after
    /// ``Replayer/Options/replyTimeout`` (5 s by default) from its start; a give-up is counted
    /// in the result (`reply_timeouts`) and the step goes anyway.
    case waitReply = "wait-reply"
}

import FlowEvents

/// A row of the message view (``MessageView``): a decoded message, named by its direction and
/// index (so the selection stays on it while new messages come and old ones are cut), or the
/// chunk a direction holds (not delivered, so not a decoded message yet).
public enum MessageSelection: Sendable, Hashable {
    /// The message of `direction` numbered `index` (``FlowTapKit/MessageRecord/index``).
    case message(Direction, index: Int)
    /// The chunk (a whole message when a decoder runs) held in `direction`.
    case held(Direction)
}

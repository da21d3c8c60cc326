import FlowEvents
import FlowTapKit

/// The focused pane: one direction of the selected session, or both interleaved in time.
public enum Pane: Sendable, Equatable, CaseIterable {
    /// Client → server (the focus at start).
    case c2s
    /// Server → client.
    case s2c
    /// Both directions, chunk by chunk in timestamp order (like Wireshark's Follow TCP Stream).
    case conversation

    /// The direction shown, or `nil` for the conversation.
    public var direction: Direction? {
        switch self {
        case .c2s: .c2s
        case .s2c: .s2c
        case .conversation: nil
        }
    }

    /// The next pane for Tab: c2s → s2c → conversation → c2s.
    public var next: Pane {
        switch self {
        case .c2s: .s2c
        case .s2c: .conversation
        case .conversation: .c2s
        }
    }

    /// The previous pane (Shift-Tab).
    public var previous: Pane { next.next }
}

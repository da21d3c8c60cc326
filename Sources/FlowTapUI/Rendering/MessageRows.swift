import FlowEvents
import FlowTapKit

/// The rows of the message view for one session: its kept messages (in arrival order, or as
/// request/reply pairs), then the chunk each direction holds, if any. Shared by the renderer
/// and ``KeyHandler`` (which moves the selection over the same rows). Linear in the messages.
struct MessageRows {
    /// One row.
    enum Row: Equatable {
        /// The message at `position` of the session's ``FlowTapKit/MessageList``; `underRequest`
        /// for a reply drawn under its request.
        case message(position: Int, underRequest: Bool)
        /// The chunk held in a direction.
        case held(Direction)
    }

    let session: SessionSnapshot
    let rows: [Row]

    /// The rows of `session`, paired when `pairs`.
    init(session: SessionSnapshot, pairs: Bool) {
        self.session = session
        var rows: [Row] =
            pairs
            ? MessageConversation.rows(session.messages).map {
                .message(position: $0.position, underRequest: $0.underRequest)
            }
            : session.messages.indices.map { .message(position: $0, underRequest: false) }
        for direction in Direction.allCases where session[direction].held != nil {
            rows.append(.held(direction))
        }
        self.rows = rows
    }

    /// What selecting `row` selects.
    func selection(_ row: Row) -> MessageSelection {
        switch row {
        case .message(let position, _):
            let record = session.messages[position]
            return .message(record.direction, index: record.index)
        case .held(let direction): return .held(direction)
        }
    }

    /// The row of `selection`: the last row when it is `nil` (following); the first row when
    /// the message is not kept any more; `nil` when there are no rows.
    func index(of selection: MessageSelection?) -> Int? {
        guard !rows.isEmpty else { return nil }
        guard let selection else { return rows.count - 1 }
        switch selection {
        case .held(let direction):
            return rows.lastIndex(of: .held(direction)) ?? rows.count - 1
        case .message(let direction, let index):
            guard let position = session.messages.position(of: direction, index: index) else { return 0 }
            return rows.firstIndex {
                if case .message(position, _) = $0 { return true }
                return false
            } ?? 0
        }
    }

    /// The message of row `index`, or `nil` for a held chunk's row.
    func record(at index: Int) -> MessageRecord? {
        guard rows.indices.contains(index), case .message(let position, _) = rows[index] else { return nil }
        return session.messages[position]
    }
}

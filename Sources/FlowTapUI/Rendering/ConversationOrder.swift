import FlowEvents
import FlowTapKit

/// The chunks of both directions of a session in the order they were read (by timestamp;
/// client → server first on a tie; each direction keeps its own order).
enum ConversationOrder {
    /// One chunk and its direction.
    struct Item {
        var direction: Direction
        var chunk: HistoryChunk
    }

    /// Both directions' kept chunks, merged by timestamp; a held chunk comes last in its
    /// direction (it goes after whatever was injected while it was held).
    static func chunks(of session: SessionSnapshot) -> [Item] {
        let a = session.c2s.history + (session.c2s.heldChunk.map { [$0] } ?? [])
        let b = session.s2c.history + (session.s2c.heldChunk.map { [$0] } ?? [])
        var out: [Item] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].timestamp <= b[j].timestamp) {
                out.append(Item(direction: .c2s, chunk: a[i]))
                i += 1
            } else {
                out.append(Item(direction: .s2c, chunk: b[j]))
                j += 1
            }
        }
        return out
    }
}

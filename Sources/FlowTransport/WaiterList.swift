/// Suspended tasks waiting for the same kind of event, in arrival order, each under an id so
/// that a cancelled one can be taken out.
struct WaiterList<Continuation: Sendable>: Sendable {
    private var entries: [(id: Int, continuation: Continuation)] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func append(_ continuation: Continuation, id: Int) {
        entries.append((id, continuation))
    }

    /// The oldest waiter, taken out.
    mutating func popFirst() -> Continuation? {
        entries.isEmpty ? nil : entries.removeFirst().continuation
    }

    /// The waiter with this id, taken out (nil when it was already resumed).
    mutating func remove(id: Int) -> Continuation? {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        return entries.remove(at: index).continuation
    }

    /// Every waiter, taken out.
    mutating func removeAll() -> [Continuation] {
        defer { entries.removeAll() }
        return entries.map(\.continuation)
    }
}

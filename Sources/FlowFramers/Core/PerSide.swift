/// A value for each side of a conversation, changed in place through its subscript.
struct PerSide<Value: Sendable>: Sendable {
    var client: Value
    var server: Value

    /// The same starting value for both sides.
    init(_ value: Value) {
        client = value
        server = value
    }

    /// `side`'s value.
    subscript(side: FrameSide) -> Value {
        get { side == .client ? client : server }
        _modify {
            if side == .client { yield &client } else { yield &server }
        }
    }
}

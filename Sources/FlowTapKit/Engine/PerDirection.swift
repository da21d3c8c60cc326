import FlowEvents

/// One value for each direction of a session, both always there: what a session keeps per
/// direction (its gates, its taps' controls) in one place, read with `values[.c2s]`.
public struct PerDirection<Value> {
    /// The value for client → server.
    public var c2s: Value
    /// The value for server → client.
    public var s2c: Value

    /// The two values.
    public init(c2s: Value, s2c: Value) {
        self.c2s = c2s
        self.s2c = s2c
    }

    /// The values `make` gives for `.c2s`, then `.s2c`.
    public init(_ make: (Direction) throws -> Value) rethrows {
        self.c2s = try make(.c2s)
        self.s2c = try make(.s2c)
    }

    /// The value for `direction`.
    public subscript(direction: Direction) -> Value {
        get { direction == .c2s ? c2s : s2c }
        set {
            switch direction {
            case .c2s: c2s = newValue
            case .s2c: s2c = newValue
            }
        }
    }

    /// Both values, c2s first.
    public var both: [Value] { [c2s, s2c] }
}

extension PerDirection: Sendable where Value: Sendable {}
extension PerDirection: Equatable where Value: Equatable {}

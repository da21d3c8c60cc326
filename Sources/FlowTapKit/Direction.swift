import FlowCapture

/// A direction of a session: `c2s` (read from the client, written to the target) or `s2c`.
/// The same type the capture uses, so events go to captures without translation.
public typealias Direction = CaptureDirection

extension CaptureDirection {
    /// `"client → server"` or `"server → client"` (with `ascii`: `"client -> server"`).
    public func title(ascii: Bool = false) -> String {
        let arrow = ascii ? "->" : "→"
        return self == .c2s ? "client \(arrow) server" : "server \(arrow) client"
    }
}

/// In-memory connected flows: the test double for everything built on ``Flow``.
public enum Pipe {
    /// The default capacity of each direction: 64 KiB.
    public static let defaultCapacity = 64 * 1024

    /// Two connected ``PipeFlow``s: what `a` writes, `b` reads, and the other way round. Each
    /// direction holds at most `capacity` bytes before its writer waits.
    public static func pair(capacity: Int = defaultCapacity) -> (a: PipeFlow, b: PipeFlow) {
        let aToB = PipeBuffer(capacity: capacity)
        let bToA = PipeBuffer(capacity: capacity)
        return (
            PipeFlow(inbound: bToA, outbound: aToB, description: "pipe.a"),
            PipeFlow(inbound: aToB, outbound: bToA, description: "pipe.b")
        )
    }
}

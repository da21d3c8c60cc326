import FlowEvents
import Synchronization

/// The breakpoints in force in every session of an ``Inspector``: the `--break` options at
/// start, then what the user adds or removes (`b` in the UI). Sessions consult it for each
/// message, so a change acts on the next message of every live session.
public final class BreakpointSet: Sendable {
    private let list: Mutex<[Breakpoint]>

    /// A set holding `breakpoints` (duplicates kept once).
    public init(_ breakpoints: [Breakpoint] = []) {
        var unique: [Breakpoint] = []
        for breakpoint in breakpoints where !unique.contains(breakpoint) { unique.append(breakpoint) }
        list = Mutex(unique)
    }

    /// The breakpoints, in the order they were added.
    public var all: [Breakpoint] { list.withLock { $0 } }

    /// Whether any breakpoint watches `direction` (a direction without one never gathers
    /// messages before passing them on).
    public func watches(_ direction: Direction) -> Bool {
        list.withLock { $0.contains { $0.direction == nil || $0.direction == direction } }
    }

    /// The first breakpoint that holds a message of `direction` with this summary, if any.
    public func match(_ summary: String, in direction: Direction) -> Breakpoint? {
        list.withLock { $0.first { $0.matches(summary, in: direction) } }
    }

    /// Adds `breakpoint`, or removes it when it is there already; returns whether it is now in
    /// the set.
    @discardableResult
    public func toggle(_ breakpoint: Breakpoint) -> Bool {
        list.withLock { list in
            if let index = list.firstIndex(of: breakpoint) {
                list.remove(at: index)
                return false
            }
            list.append(breakpoint)
            return true
        }
    }
}

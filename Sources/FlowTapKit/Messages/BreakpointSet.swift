import FlowEvents
import Synchronization

/// The breakpoints in force in every session of an ``Inspector``: the `--break` options at
/// start, then what the user adds or removes (`b` in the UI). Sessions consult it for each
/// message, so a change acts on the next message of every live session.
///
/// ``watches(_:)`` is one atomic load: the data path asks it for every chunk read.
public final class BreakpointSet: Sendable {
    private let list: Mutex<[Breakpoint]>
    /// Bit 0: some breakpoint watches `c2s`; bit 1: `s2c`. Written under `list`'s lock.
    private let watched: Atomic<UInt8>

    /// A set holding `breakpoints` (duplicates kept once).
    public init(_ breakpoints: [Breakpoint] = []) {
        var unique: [Breakpoint] = []
        for breakpoint in breakpoints where !unique.contains(breakpoint) { unique.append(breakpoint) }
        list = Mutex(unique)
        watched = Atomic(Self.mask(unique))
    }

    private static func bit(_ direction: Direction) -> UInt8 { direction == .c2s ? 1 : 2 }

    private static func mask(_ list: [Breakpoint]) -> UInt8 {
        list.reduce(0) { mask, breakpoint in
            mask | (breakpoint.direction.map(bit) ?? 3)
        }
    }

    /// The breakpoints, in the order they were added.
    public var all: [Breakpoint] { list.withLock { $0 } }

    /// Whether any breakpoint watches `direction` (a direction without one never gathers
    /// messages before passing them on).
    public func watches(_ direction: Direction) -> Bool {
        watched.load(ordering: .acquiring) & Self.bit(direction) != 0
    }

    /// The first breakpoint that holds a message of `direction` with this summary, if any.
    public func match(_ summary: String, in direction: Direction) -> Breakpoint? {
        list.withLock { $0.first { $0.matches(summary, in: direction) } }
    }

    /// Adds `breakpoint` after the others; returns `false` (and changes nothing) when it is
    /// there already.
    @discardableResult
    public func add(_ breakpoint: Breakpoint) -> Bool {
        list.withLock { list in
            guard !list.contains(breakpoint) else { return false }
            list.append(breakpoint)
            watched.store(Self.mask(list), ordering: .releasing)
            return true
        }
    }

    /// Removes `breakpoint`; returns `false` (and changes nothing) when it is not in the set.
    /// A message it holds already stays held until stepped or resumed.
    @discardableResult
    public func remove(_ breakpoint: Breakpoint) -> Bool {
        list.withLock { list in
            guard let index = list.firstIndex(of: breakpoint) else { return false }
            list.remove(at: index)
            watched.store(Self.mask(list), ordering: .releasing)
            return true
        }
    }

    /// Adds `breakpoint`, or removes it when it is there already; returns whether it is now in
    /// the set.
    @discardableResult
    public func toggle(_ breakpoint: Breakpoint) -> Bool {
        list.withLock { list in
            defer { watched.store(Self.mask(list), ordering: .releasing) }
            if let index = list.firstIndex(of: breakpoint) {
                list.remove(at: index)
                return false
            }
            list.append(breakpoint)
            return true
        }
    }
}

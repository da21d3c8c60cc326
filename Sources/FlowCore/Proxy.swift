/// Forwards both directions between two shutdownable flows at once, until both have ended
/// (mirage-flow's `Proxy(Clock)(A)(B).proxy`).
///
/// Each direction is a ``copy(from:to:clock:)``. When a direction ends, by end-of-file or by an
/// error, its source gets ``ShutdownableFlow/shutdownRead()`` and then its destination
/// ``ShutdownableFlow/shutdownWrite()`` — in that order, as in the original — so an end-of-file
/// is passed on as a half-close while the other direction goes on for as long as it lives.
///
/// - Returns: the statistics of `a → b` and of `b → a`, once both directions have ended.
/// - Throws: ``ProxyError`` naming the direction that failed (or both), with every direction's
///   statistics. A failure of one direction never cuts the other short.
@inlinable
public func proxy<A: ShutdownableFlow, B: ShutdownableFlow, C: Clock>(
    _ a: A, _ b: B, clock: C
) async throws(ProxyError) -> (aToB: Stats, bToA: Stats) where C.Duration == Duration {
    async let forward = direction(from: a, to: b, clock: clock)
    let backward = await direction(from: b, to: a, clock: clock)
    let aToB = await forward
    switch (aToB, backward) {
    case (.success(let s1), .success(let s2)): return (s1, s2)
    case (.failure(let e1), .failure(let e2)): throw .both(e1, e2)
    case (.failure(let e1), .success(let s2)): throw .a(e1, bToA: s2)
    case (.success(let s1), .failure(let e2)): throw .b(e2, aToB: s1)
    }
}

/// ``proxy(_:_:clock:)`` timed with the system's `ContinuousClock`.
@inlinable
public func proxy<A: ShutdownableFlow, B: ShutdownableFlow>(
    _ a: A, _ b: B
) async throws(ProxyError) -> (aToB: Stats, bToA: Stats) {
    try await proxy(a, b, clock: ContinuousClock())
}

/// One direction of ``proxy(_:_:clock:)``: the copy, then `shutdownRead` of its source and
/// `shutdownWrite` of its destination, whether the copy ended by end-of-file or by an error.
@inlinable
func direction<S: ShutdownableFlow, D: ShutdownableFlow, C: Clock>(
    from source: S, to destination: D, clock: C
) async -> Result<Stats, CopyError> where C.Duration == Duration {
    let result: Result<Stats, CopyError>
    do {
        result = .success(try await copy(from: source, to: destination, clock: clock))
    } catch {
        result = .failure(error)
    }
    await source.shutdownRead()
    await destination.shutdownWrite()
    return result
}

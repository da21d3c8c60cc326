import FlowEvents
import FlowTransport

/// Accepts clients and starts one session for each, for as long as its listener is open: the
/// loop of ``Inspector``, ``ReplayServer`` and ``Demo``.
///
/// - It never exits on an error: an accept failure (e.g. too many open files) is reported as
///   `accept_error`, then the loop backs off (10 ms, doubling up to 1 s, back to 10 ms after
///   the next success) and accepts again. The listener reads its socket only while the loop
///   asks, so nothing spins meanwhile and waiting clients stay in the kernel's backlog.
/// - It never lets the process reach its descriptor limit: while `limit` sessions are live it
///   stops asking for clients (reported as `accept_paused` with `sessions` and `limit`); the
///   listener then stops reading its socket, and new clients wait in the kernel's backlog.
///   When a session ends it reports `accept_resumed` and goes on.
/// - It ends when the accept function returns `nil` (the listener was closed), when the
///   registry is stopping, or when its task is cancelled.
public struct AcceptLoop<Client: Sendable>: Sendable {
    /// Takes the next client; `nil` once there are no more (the listener is closed).
    public typealias Accept = @Sendable () async throws(TransportError) -> Client?

    /// The first back-off after an accept failure.
    public static var firstBackoff: Duration { .milliseconds(10) }
    /// The longest back-off: failures in a row double it up to this.
    public static var longestBackoff: Duration { .seconds(1) }

    private let accept: Accept
    private let limit: Int
    private let emit: @Sendable (SessionEvent) -> Void

    /// A loop taking clients from `accept`, keeping at most `limit` (at least 1) sessions
    /// live, and reporting `accept_error`, `accept_paused` and `accept_resumed` to `emit`.
    public init(
        limit: Int, emit: @escaping @Sendable (SessionEvent) -> Void, accept: @escaping Accept
    ) {
        self.accept = accept
        self.limit = max(1, limit)
        self.emit = emit
    }

    /// Accepts until the end (see the type's documentation), starting `serve(client, number)`
    /// in `registry` for each client; returns once every session started has ended.
    public func run<Handle>(
        in registry: SessionRegistry<Handle>, serve: @escaping @Sendable (Client, Int) async -> Void
    ) async {
        await registry.run { sessions in
            var backoff = Self.firstBackoff
            while !registry.isStopping {
                let live = registry.liveCount
                if live >= limit {
                    emit(SessionEvent(conn: nil, .acceptPaused(sessions: live, limit: limit)))
                    guard await registry.waitUntilFewer(than: limit) else { return }
                    emit(SessionEvent(conn: nil, .acceptResumed(sessions: registry.liveCount)))
                }
                let client: Client?
                do throws(TransportError) {
                    client = try await accept()
                } catch {
                    emit(SessionEvent(conn: nil, .acceptError(error.description)))
                    do { try await Task.sleep(for: backoff) } catch { return }
                    backoff = min(backoff * 2, Self.longestBackoff)
                    continue
                }
                guard let client else { return }
                backoff = Self.firstBackoff
                sessions.start { id in await serve(client, id) }
            }
        }
    }
}

extension AcceptLoop where Client == SocketFlow {
    /// A loop taking the clients `listener` accepts, with `limit` live sessions at most.
    public init(listener: Listener, limit: Int, emit: @escaping @Sendable (SessionEvent) -> Void) {
        self.init(limit: limit, emit: emit) { () async throws(TransportError) -> SocketFlow? in
            try await listener.accept()
        }
    }
}

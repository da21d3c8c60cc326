import FlowCore
import NIOCore
import Synchronization

/// Reads a proxy client's handshake (DESIGN §1: before the session's flows exist), so that
/// the session's target comes from the client: SOCKS5 (``SOCKS5ServerParser``) or an HTTP
/// proxy request (``HTTPProxyRequestHead``).
///
/// Handshake bytes are not session data: what the client sends past its handshake is handed
/// on in the ``ProxyRequest`` for the session to read first.
public enum ProxyHandshake {
    /// How long a client has to finish its handshake, by default.
    public static let defaultTimeLimit: Duration = .seconds(10)

    /// Reads `client`'s handshake in `proto`, answering its intermediate steps (the SOCKS5
    /// method selection), and returns its request; the caller then connects and answers it
    /// (``ProxyRequest/accept(_:bound:)`` or ``ProxyRequest/refuse(_:reason:errno:)``).
    ///
    /// - Throws: ``ProxyHandshakeError`` when the handshake is malformed, asks for what flowtap
    ///   does not offer, ends early (the client sent FIN or failed), or is not whole within
    ///   `timeLimit`. The client was then sent the protocol's error answer (when it has one)
    ///   and a FIN; the caller closes it.
    public static func receive(
        _ proto: ProxyProtocol, from client: SocketFlow, timeLimit: Duration = defaultTimeLimit
    ) async throws(ProxyHandshakeError) -> ProxyRequest {
        // The time limit is a timer on the client's event loop, not a task racing the
        // handshake: the handshake runs in the caller's task, and only a limit that expires
        // costs more (it stops the client's input, which ends the pending read).
        let limit = HandshakeLimit(client)
        // A callback rather than a scheduled task: no promise to make and fail per session. It
        // cannot be scheduled only on a loop that is shutting down, which ends the client anyway.
        let timer = try? client.eventLoop.scheduleCallback(in: TimeAmount(timeLimit), handler: limit)
        let outcome =
            switch proto {
            case .socks5: await socks5(client)
            case .httpProxy: await http(client)
            }
        timer?.cancel()
        // A limit that expired first wins, even over a request that came meanwhile: the
        // client's input is being shut, so no session may start on it.
        let result: Result<ProxyRequest, ProxyHandshakeError> =
            limit.finish()
            ? .failure(ProxyHandshakeError("no complete \(proto.rawValue) handshake within \(timeLimit)"))
            : outcome
        switch result {
        case .success(let request):
            return request
        case .failure(let error):
            // A request that came as the limit expired: what it was owed so far goes out first.
            if case .success(let request) = outcome, let held = request.heldAnswer {
                try? await client.write(held)
            }
            if error.reason.hasPrefix("no complete") && proto == .httpProxy {
                try? await client.write(HTTPProxyResponses.response(status: 408, error.reason))
            }
            await client.shutdownWrite()
            throw error
        }
    }

    /// The next chunk from the client, or why the handshake cannot go on.
    private static func nextChunk(_ client: SocketFlow, _ proto: ProxyProtocol) async -> Result<
        ByteBuffer, ProxyHandshakeError
    > {
        do {
            switch try await client.read() {
            case .data(let bytes): return .success(bytes)
            case .eof:
                return .failure(
                    ProxyHandshakeError("\(proto.rawValue): the client closed before its handshake was whole")
                )
            }
        } catch {
            return .failure(ProxyHandshakeError("\(proto.rawValue): reading the handshake failed: \(error)"))
        }
    }

    private static func socks5(_ client: SocketFlow) async -> Result<ProxyRequest, ProxyHandshakeError> {
        let parser = SOCKS5ServerParser()
        // The method selection, when the request came with the greeting: it goes out with the
        // request's answer, in one write (the client sent its request without waiting for it).
        var selection: ByteBuffer?
        while true {
            let bytes: ByteBuffer
            switch await nextChunk(client, .socks5) {
            case .success(let chunk): bytes = chunk
            case .failure(let error): return .failure(error)
            }
            var outcome = parser.feed(bytes)
            while true {
                switch outcome {
                case .needMore:
                    break
                case .reply(let reply):
                    if parser.pendingRequest {
                        selection = reply
                        outcome = parser.pendingOutcome()
                        continue
                    }
                    do {
                        try await client.write(reply)
                    } catch {
                        return .failure(
                            ProxyHandshakeError("socks5: writing the method selection failed: \(error)"))
                    }
                case .request(let target, let leftover):
                    return .success(
                        ProxyRequest(
                            proto: .socks5, target: target, ahead: leftover, rewriter: nil,
                            heldAnswer: selection))
                case .failed(let error, let reply):
                    var answer = selection ?? ByteBuffer()
                    answer.writeImmutableBuffer(reply)
                    if answer.readableBytes > 0 { try? await client.write(answer) }
                    return .failure(error)
                }
                break
            }
        }
    }

    private static func http(_ client: SocketFlow) async -> Result<ProxyRequest, ProxyHandshakeError> {
        var pending = ByteBuffer()
        while true {
            let searched = pending.readableBytes
            switch await nextChunk(client, .httpProxy) {
            case .success(var chunk): pending.writeBuffer(&chunk)
            case .failure(let error): return .failure(error)
            }
            switch HTTPProxyRequestHead.parse(pending, searchedBefore: searched) {
            case .needMore:
                continue
            case .failed(let status, let reason):
                try? await client.write(HTTPProxyResponses.response(status: status, reason))
                return .failure(ProxyHandshakeError("http-proxy: \(reason)"))
            case .head(let head):
                pending.moveReaderIndex(forwardBy: head.length)
                var ahead = ByteBuffer()
                if var forwarded = head.forwarded {
                    // The first request goes to the target in origin-form; its body and the
                    // requests after it are followed by the session's rewriter.
                    ahead.writeBuffer(&forwarded)
                    var rewriter = HTTPForwardRewriter(target: head.target, after: head.body)
                    var rest = rewriter.rewrite(pending)
                    ahead.writeBuffer(&rest)
                    return .success(
                        ProxyRequest(
                            proto: .httpProxy, target: head.target, ahead: ahead, rewriter: rewriter))
                }
                ahead.writeBuffer(&pending)
                return .success(
                    ProxyRequest(proto: .httpProxy, target: head.target, ahead: ahead, rewriter: nil))
            }
        }
    }
}

/// Whether a handshake's time limit expired before the handshake ended: the first of
/// ``expire()`` (the timer, which then stops the client's input) and ``finish()`` decides.
private final class HandshakeLimit: NIOScheduledCallbackHandler, Sendable {
    private enum State { case running, expired, finished }
    private let state = Mutex(State.running)
    private let client: SocketFlow

    init(_ client: SocketFlow) {
        self.client = client
    }

    /// The timer fired: a handshake still running has failed, and its pending read must end.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        if expire() {
            let client = self.client
            Task { await client.shutdownRead() }
        }
    }

    /// The limit is up: true when the handshake was still running (it has now failed).
    func expire() -> Bool {
        state.withLock { state in
            guard case .running = state else { return false }
            state = .expired
            return true
        }
    }

    /// The handshake ended: true when the limit had expired first.
    func finish() -> Bool {
        state.withLock { state in
            if case .expired = state { return true }
            state = .finished
            return false
        }
    }
}

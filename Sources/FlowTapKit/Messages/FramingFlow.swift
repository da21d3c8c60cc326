import FlowCore
import FlowEvents
import FlowFramers
import NIOCore
import Synchronization

/// The flow under a direction's ``Tap`` that makes the message the chunk (issue 13): it feeds
/// each read of its source to the session's decoder (``SessionDecoder``, shared by both
/// directions) and returns the read cut at message boundaries, so no chunk the core `proxy`
/// sees carries parts of two messages. With `--rewrite` it sits above the ``RewritingFlow``: it
/// decodes what will be forwarded.
///
/// Contract:
/// - Bytes are never held back waiting for the rest of a message: the pieces of a read go on as
///   they come, one per ``read()``, and each piece is only what was read (no byte lost,
///   duplicated or reordered). The one exception: while the direction's gate holds back (it is
///   paused) or a breakpoint watches the direction, a read that ends inside a message reads on
///   until the message is whole (or ``gatherLimit`` bytes are gathered, or the source ends) and
///   returns the message as one chunk, so pause, step, edit, drop and breakpoints act on whole
///   messages.
/// - Each message found travels with the piece that completes it: the piece's messages are
///   deposited with the session's recorder (``SessionRecorder/deposit(_:_:)``) before the piece
///   is returned, and reported as `message` after that piece's `data` (or `drop`). A reply
///   carries the index of its request and, when it is the first reply, its latency: from the
///   time the request's last byte was read from its source to the time the reply's first byte
///   was, less the time the request's direction was held at its gate in between (a request
///   held at a breakpoint for a minute is not a slow server).
/// - A message (with a decoder) or a chunk (undecoded: `--decode none`, `auto` that chose
///   none, a direction gone raw) matching a breakpoint (``BreakpointSet/match(_:in:)``,
///   consulted when the message is complete) is held as if the user had paused the direction
///   just before it (``Session/holdAtBreakpoint(_:_:)``): undecoded, the chunk's text as the UI
///   shows it (``FlowCore/ByteEscapes``, backslash as is) is matched.
/// - `decoder` is reported by the direction whose first bytes made `auto` decide; a decode error
///   as `decode_error` when found (once per direction, the framers' contract), and the rest of
///   the direction passes raw.
/// - End of stream: the source's end-of-file (or read error) is passed on after every byte read
///   before it, and the decoder's ``FlowFramers/SharedFrameConversation/end(_:)`` is called: a
///   message it completes (a body that ends at close) or reports truncated is reported with the
///   last piece, or, when that piece went already, after its `data`. A read error is rethrown
///   unchanged once the bytes before it are returned.
///
/// Only one task reads a flow (the proxy's copy of this direction); writes, shutdowns and close
/// go to the base unchanged.
final class FramingFlow<Base: ShutdownableFlow>: ShutdownableFlow {
    /// The endpoint read (or the ``RewritingFlow`` over it).
    let base: Base
    /// The direction this flow's reads belong to.
    let direction: Direction
    /// The most bytes gathered for one held message before what came is held as it is.
    static var gatherLimit: Int { 1 << 20 }

    private let side: FrameSide
    private let decoder: SessionDecoder?
    private let session: Session
    private let breakpoints: BreakpointSet
    private let reading = Mutex(FramingReadState())

    /// Frames the reads of `base`, the source of `direction` in `session`, with `decoder` (nil
    /// for `--decode none`: chunks are only matched against `breakpoints`, as text).
    init(
        _ base: Base, reads direction: Direction, decoder: SessionDecoder?, session: Session,
        breakpoints: BreakpointSet
    ) {
        self.base = base
        self.direction = direction
        self.side = direction == .c2s ? .client : .server
        self.decoder = decoder
        self.session = session
        self.breakpoints = breakpoints
    }

    /// The next piece: see the type for the contract.
    func read() async throws(FlowError) -> ReadResult {
        guard let decoder else {
            // `--decode none`: the read as it comes (here, not in a function of its own: an async
            // call per read costs the data path).
            let result = try await base.read()
            if case .data(let buffer) = result, breakpoints.watches(direction) { checkText(buffer) }
            return result
        }
        var state = reading.withLock { s in
            let taken = s
            s = FramingReadState()
            return taken
        }
        defer { reading.withLock { [state] in $0 = state } }
        if state.leftoverCount == 0 {
            if state.ending == nil { await readBase(&state, decoder) }
            if state.leftoverCount == 0 { return try finish(&state) }
        }
        if state.mode == .decoding, !state.hasCompleted, state.inMessage, wantsWholeMessages {
            // Held or watched: the rest of the message first.
            while !state.hasCompleted, state.inMessage, state.ending == nil,
                state.leftoverCount < Self.gatherLimit
            {
                await readBase(&state, decoder)
            }
        }
        return .data(cut(&state))
    }

    /// Whether the next message is to be gathered whole: the direction is paused, or a
    /// breakpoint watches it.
    private var wantsWholeMessages: Bool {
        session.gates[direction].holdsBack || breakpoints.watches(direction)
    }

    /// The next piece of the leftover: up to the first message end in it, else all of it; its
    /// messages deposited, and held when a breakpoint matches.
    private func cut(_ state: inout FramingReadState) -> ByteBuffer {
        var leftover = state.leftover!
        state.leftover = nil
        let piece: ByteBuffer
        if state.hasCompleted, state.completed[state.head].end - state.returned < leftover.readableBytes {
            piece = leftover.readSlice(length: state.completed[state.head].end - state.returned)!
            state.leftover = leftover
        } else {
            piece = leftover
        }
        state.returned += piece.readableBytes
        var messages: [DecodedMessage] = []
        while state.hasCompleted, state.completed[state.head].end <= state.returned {
            messages.append(state.completed[state.head].message)
            state.head += 1
        }
        if !state.hasCompleted, state.head > 0 {
            state.completed.removeAll(keepingCapacity: state.completed.count <= 64)
            state.head = 0
        }
        if !messages.isEmpty { session.recorder.deposit(direction, messages) }
        if breakpoints.watches(direction) {
            if let last = messages.last {
                if let hit = breakpoints.match(last.summary, in: direction) {
                    session.holdAtBreakpoint(direction, hit)
                }
            } else if state.mode != .decoding && state.mode != .undecided {
                checkText(piece)
            }
        }
        return piece
    }

    /// The end of the stream, all bytes before it returned: the decoder's last messages are
    /// reported after the last `data`, then end-of-file is returned or the error rethrown.
    private func finish(_ state: inout FramingReadState) throws(FlowError) -> ReadResult {
        if state.hasCompleted {
            let events = state.completed[state.head...].map {
                SessionEvent.Kind.message(direction, $0.message)
            }
            state.completed = []
            state.head = 0
            session.recorder.reportAfterSent(direction, events)
        }
        switch state.ending {
        case .failed(let error): throw error
        case .eof, nil: return .eof
        }
    }

    /// Reads the source once: bytes are fed to the decoder and added to the leftover; an end or
    /// a failure is kept in `state.ending` (and the decoder told).
    private func readBase(_ state: inout FramingReadState, _ decoder: SessionDecoder) async {
        let result: ReadResult
        do {
            result = try await base.read()
        } catch {
            state.ending = .failed(error)
            handle(decoder.conversation.end(side), at: state.fed, time: .now, &state, decoder)
            return
        }
        guard case .data(let buffer) = result else {
            state.ending = .eof
            handle(decoder.conversation.end(side), at: state.fed, time: .now, &state, decoder)
            return
        }
        if state.leftover == nil {
            state.leftover = buffer
        } else {
            var more = buffer
            state.leftover!.writeBuffer(&more)
        }
        let start = state.fed
        state.fed += buffer.readableBytes
        // A direction gone raw (or failed) is never decoded again: it is not fed any more.
        guard state.mode != .raw, state.mode != .failed else { return }
        let time = ContinuousClock.now
        let found = decoder.conversation.feed(side, buffer)
        let progress = decoder.conversation.progress(side)
        state.mode = progress.mode
        if !found.isEmpty { handle(found, at: start, time: time, &state, decoder) }
        state.inMessage = progress.isInMessage
        if progress.isInMessage, state.messageStart?.offset != progress.messageOffset {
            // The message in progress started in this piece (or the piece before ended one).
            state.messageStart = (progress.messageOffset, time)
        }
    }

    /// Reports what one feed (of the piece starting at stream offset `start`, read at `time`)
    /// or the end found: the decision, decode errors; messages wait for their piece.
    private func handle(
        _ found: FrameFeed, at start: Int, time: ContinuousClock.Instant, _ state: inout FramingReadState,
        _ decoder: SessionDecoder
    ) {
        if let decided = found.decided {
            state.proto = decided.protocolName
            session.recorder.report(.decoder(decided.protocolName))
        }
        let proto = state.proto ?? decoder.conversation.spec.protocolName
        state.proto = proto
        for error in found.decodeErrors {
            session.recorder.report(
                .decodeError(
                    error.side == .client ? .c2s : .s2c, proto: proto, offset: error.offset,
                    error: error.reason))
        }
        for message in found.messages where message.side == side {
            var latency: UInt64?
            if let reply = message.reply, reply.isFirst {
                let firstByte =
                    message.offset >= start
                    ? time
                    : state.messageStart.flatMap { $0.offset == message.offset ? $0.time : nil } ?? time
                latency = decoder.latency(
                    answering: reply.request, of: side.other, firstByte: firstByte,
                    held: session.gates[direction.reversed].heldTime)
            }
            if message.awaitsReply {
                decoder.requestEnded(
                    side, index: message.index, at: time, held: session.gates[direction].heldTime)
            }
            state.completed.append(
                FramingReadState.Completed(
                    end: message.end,
                    message: DecodedMessage(
                        proto: proto, index: message.index, offset: message.offset, bytes: message.byteCount,
                        summary: message.summary, request: message.reply?.request, latency: latency,
                        truncated: message.isTruncated)))
        }
    }

    /// Holds `chunk` when its text (as the UI shows it) matches a breakpoint of the direction.
    private func checkText(_ chunk: ByteBuffer) {
        var text: [UInt8] = []
        text.reserveCapacity(chunk.readableBytes)
        for byte in chunk.readableBytesView { ByteEscapes.append(byte, to: &text, escapingBackslash: false) }
        if let hit = breakpoints.match(String(decoding: text, as: UTF8.self), in: direction) {
            session.holdAtBreakpoint(direction, hit)
        }
    }

    /// Writes to the base.
    func write(_ buffer: ByteBuffer) async throws(WriteError) { try await base.write(buffer) }

    /// Writes to the base.
    func writev(_ buffers: [ByteBuffer]) async throws(WriteError) { try await base.writev(buffers) }

    /// Sends FIN to the base.
    func shutdownWrite() async { await base.shutdownWrite() }

    /// Stops reading the base.
    func shutdownRead() async { await base.shutdownRead() }

    /// Closes the base.
    func close() async { await base.close() }
}

import NIOCore

/// A reliable, ordered byte stream connected to one remote endpoint: the Swift form of
/// mirage-flow's `Mirage_flow.S`.
///
/// A flow is used by at most one reader and one writer at a time (one task may read while
/// another writes); concurrent calls to ``read()`` from several tasks are not ordered.
///
/// The contract every conforming type keeps:
/// - ``read()`` suspends until data is available and returns a fresh buffer of at least one
///   byte. After the remote endpoint closed (or shut its write side), data still in flight is
///   returned first, then ``ReadResult/eof``, and ``ReadResult/eof`` again on every later read.
/// - ``write(_:)`` hands a buffer to the flow. Its return says nothing about when the peer reads
///   it. After the flow was closed (by ``close()``, or by `shutdownWrite` of a
///   ``ShutdownableFlow``), it throws ``WriteError/closed``; other failures throw
///   ``WriteError/failed(_:)`` with the reason.
/// - ``close()`` flushes pending writes, signals end-of-file to the peer, and returns once the
///   peer has closed too. Reading remains possible until then (the half-closed state).
public protocol Flow: Sendable {
    /// Reads the next chunk.
    ///
    /// - Returns: ``ReadResult/data(_:)`` with at least one byte, or ``ReadResult/eof`` once the
    ///   peer has ended its side and every in-flight byte was returned. `.eof` is sticky.
    /// - Throws: ``FlowError`` when the stream failed (for instance a reset connection); later
    ///   reads may fail again or return `.eof`.
    func read() async throws(FlowError) -> ReadResult

    /// Writes a whole buffer.
    ///
    /// The buffer is owned by the flow from now on: the caller must not rely on reusing it.
    /// Bytes may be transmitted in pieces of any size, but always in order.
    ///
    /// - Throws: ``WriteError/closed`` when the flow's write side is closed;
    ///   ``WriteError/failed(_:)`` when the transport failed (the reason says why). After a
    ///   write error, nothing further can be written.
    func write(_ buffer: ByteBuffer) async throws(WriteError)

    /// Writes several buffers, in order, as if by consecutive ``write(_:)`` calls.
    ///
    /// - Throws: the first ``WriteError`` met; buffers after the failing one are not written.
    func writev(_ buffers: [ByteBuffer]) async throws(WriteError)

    /// Closes the flow: flushes pending writes, sends end-of-file to the peer, then waits until
    /// the peer has closed too, after which no data moves either way and resources are freed.
    ///
    /// Calling `close` more than once is harmless. Writes after `close` throw
    /// ``WriteError/closed``.
    func close() async
}

extension Flow {
    /// Writes each buffer in order with ``write(_:)`` and stops at the first error.
    public func writev(_ buffers: [ByteBuffer]) async throws(WriteError) {
        for buffer in buffers {
            try await write(buffer)
        }
    }
}

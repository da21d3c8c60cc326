import NIOCore

/// One end of an in-memory pipe made by ``Pipe/pair(capacity:)``: a ``ShutdownableFlow`` whose
/// writes the other end reads, and the other way round.
///
/// - Chunk boundaries are kept: each ``read()`` returns exactly one chunk some ``write(_:)`` of
///   the other end gave (empty writes are dropped).
/// - Bounded: while the chunks queued towards the other end reach ``capacity`` bytes, a writer
///   waits. A single chunk larger than the capacity is accepted once the queue is empty.
/// - ``shutdownWrite()`` is a FIN: the other end reads the queued chunks, then end-of-file.
/// - ``shutdownRead()`` drops what is queued towards this end; the other end's writes then throw
///   ``WriteError/closed``.
/// - ``close()`` is ``shutdownWrite()`` followed by waiting until the other end has shut its
///   write side too (by `close` or `shutdownWrite`). This end can still read meanwhile.
/// - A read or write waiting in a cancelled task fails with the reason "cancelled".
public struct PipeFlow: ShutdownableFlow, CustomStringConvertible {
    let inbound: PipeBuffer
    let outbound: PipeBuffer
    /// The name given by ``Pipe/pair(capacity:)``: `"pipe.a"` or `"pipe.b"`.
    public let description: String

    /// The most bytes queued in each direction before a writer waits.
    public var capacity: Int { outbound.capacity }

    /// The next chunk the other end wrote, or ``ReadResult/eof`` once it shut its write side and
    /// every chunk was read, or after this end's ``shutdownRead()``.
    public func read() async throws(FlowError) -> ReadResult { try await inbound.read() }

    /// Queues `buffer` for the other end, waiting while the pipe is full.
    /// - Throws: ``WriteError/closed`` after this end's `shutdownWrite`/`close` or the other
    ///   end's `shutdownRead`.
    public func write(_ buffer: ByteBuffer) async throws(WriteError) { try await outbound.write(buffer) }

    /// Sends end-of-file to the other end; reading goes on.
    public func shutdownWrite() async { outbound.finish() }

    /// Stops reading: queued chunks are dropped, later reads return end-of-file, and the other
    /// end's writes throw ``WriteError/closed``.
    public func shutdownRead() async { inbound.shutdownRead() }

    /// Sends end-of-file, then waits until the other end has shut its write side too.
    public func close() async {
        outbound.finish()
        _ = await inbound.waitFinished()
    }
}

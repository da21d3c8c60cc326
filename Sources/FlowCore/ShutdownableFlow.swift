/// A ``Flow`` whose two directions can be closed one at a time: mirage-flow's `SHUTDOWNABLE`.
///
/// This is the TCP half-close: after ``shutdownWrite()`` the peer reads end-of-file while this
/// side still reads what the peer sends; after ``shutdownRead()`` this side reads no more, and
/// the peer's further writes fail.
public protocol ShutdownableFlow: Flow {
    /// Closes the write direction: pending writes are flushed, then the peer reads end-of-file
    /// (a TCP FIN). Reading continues to work. Later writes throw ``WriteError/closed``.
    /// Calling it again, or after ``Flow/close()``, does nothing.
    func shutdownWrite() async

    /// Closes the read direction: nothing more is read, unread data is discarded, and later
    /// reads return ``ReadResult/eof``. The peer's further writes fail. Writing continues to
    /// work. Calling it again does nothing.
    func shutdownRead() async
}

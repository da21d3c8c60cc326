import Testing

/// Every test on real sockets, run one at a time so that the file-descriptor count of one is
/// not disturbed by another.
@Suite(.serialized) struct SocketTests {}

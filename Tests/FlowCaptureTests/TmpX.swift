import NIOCore
import Testing

@testable import FlowCapture

@Test func tmpX() throws {
    _ = try writeCapture(
        timed([
            (1, .open(client: .ip(host: "127.0.0.1", port: 5000), server: .ip(host: "127.0.0.1", port: 80))),
            (1, .data(.c2s, ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))),
            (1, .writeError(.c2s, "connection reset by peer")),
            (1, .close),
        ]), to: "/tmp/x.pcapng")
}

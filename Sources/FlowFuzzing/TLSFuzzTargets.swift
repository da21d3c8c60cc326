import FlowTransport

extension FuzzTarget {
    /// The ClientHello reader of `tls-listen:` (``ClientHello/parse(_:)``): any bytes are a
    /// ClientHello, a request for more, or a ``ClientHelloError``. A ClientHello's server name
    /// is printable ASCII of 1-255 bytes, its ALPN names printable and at most
    /// ``ClientHello/maximumProtocols``; "need more" asks for more bytes than given; a whole
    /// ClientHello is still read the same with bytes after it.
    public static let clientHello = FuzzTarget(name: "client-hello") { bytes in
        let progress: ClientHello.Progress
        do throws(ClientHelloError) {
            progress = try ClientHello.parse(bytes)
        } catch {
            _ = error.description
            return
        }
        switch progress {
        case .needMore(let count):
            require(count > bytes.count, "needs \(count) bytes but has \(bytes.count)")
        case .complete(let hello):
            if let name = hello.serverName {
                require(
                    (1...255).contains(name.utf8.count)
                        && name.utf8.allSatisfy { (0x21...0x7e).contains($0) },
                    "server name \(name.debugDescription)")
            }
            require(hello.applicationProtocols.count <= ClientHello.maximumProtocols, "too many ALPN names")
            require(
                hello.applicationProtocols.allSatisfy {
                    !$0.isEmpty && $0.utf8.allSatisfy { (0x21...0x7e).contains($0) }
                }, "ALPN names \(hello.applicationProtocols)")
            let again = try? ClientHello.parse(bytes + [0x17, 0x03, 0x03, 0x00, 0x01, 0x00])
            require(
                again == .complete(hello),
                "bytes after the ClientHello changed it: \(String(describing: again))")
        }
    }
}

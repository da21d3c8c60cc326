import FlowCapture
import FlowEvents
import FlowTransport
import NIOCore

extension PeerAddress {
    /// The address of a socket: IP and port, or a Unix path; `text` when there is neither
    /// (an unnamed Unix peer).
    init(_ socket: SocketAddress?, text: String) {
        if let socket, let ip = socket.ipAddress, let port = socket.port {
            self = .ip(host: ip, port: port)
        } else if let socket, let path = socket.pathname, !path.isEmpty {
            self = .unix(path: path)
        } else {
            self = .unix(path: text)
        }
    }

    /// The address a connect address names.
    init(_ address: Address) {
        switch address {
        case .tcp(let host, let port), .tcpListen(let host, let port), .socks5Listen(let host, let port),
            .httpProxyListen(let host, let port), .tls(let host, let port), .tlsListen(let host, let port):
            self = .ip(host: host, port: port)
        case .unix(let path), .unixListen(let path): self = .unix(path: path)
        }
    }
}

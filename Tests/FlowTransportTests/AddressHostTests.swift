import Testing

@testable import FlowTransport

/// Issue 12: hosts that used to be accepted and failed only when a client came.
@Suite struct AddressHostTests {
    static let refused: [(String, String)] = [
        ("tcp:256.0.0.1:80", "\"256.0.0.1\" is not an IPv4 address (four numbers 0-255, e.g. 127.0.0.1)"),
        ("tcp-listen:1.2.3:80", "\"1.2.3\" is not an IPv4 address"),
        ("tcp:1.2.3.4.5:80", "\"1.2.3.4.5\" is not an IPv4 address"),
        ("tcp:1..3.4:80", "\"1..3.4\" is not an IPv4 address"),
        ("tcp:*:80", "\"*\" is not a host to connect to"),
        (
            "tcp-listen:*:80",
            "\"*\" is not a host: to listen on every interface write 0.0.0.0 (IPv4) or [::] (IPv6)"
        ),
        ("tcp://127.0.0.1:80", "a URL is not an address: write tcp:HOST:PORT, i.e. tcp:127.0.0.1:80"),
        ("tcp-listen://0.0.0.0:80/", "write tcp-listen:[HOST:]PORT, i.e. tcp-listen:0.0.0.0:80"),
        ("tcp://", "a URL is not an address: write tcp:HOST:PORT"),
        ("tcp:exa mple.com:80", "bad host name \"exa mple.com\""),
        ("tcp:a/b:80", "bad host name \"a/b\""),
        ("tcp:\u{1b}x:80", "bad host name"),
        ("tcp:a..b:80", "bad host name \"a..b\" (empty or too long parts)"),
        ("tcp:" + String(repeating: "a", count: 64) + ".com:80", "(empty or too long parts)"),
    ]

    @Test(arguments: refused)
    func refusedHosts(text: String, problem: String) {
        #expect {
            _ = try Address.parse(text)
        } throws: { error in
            guard let error = error as? AddressError else { return false }
            return error.description.contains(problem)
        }
    }

    @Test("names, dotted quads and a trailing dot are still accepted")
    func acceptedHosts() throws {
        for text in [
            "tcp:255.255.255.255:1", "tcp:0.0.0.0:1", "tcp:my-host_1.example.:80", "tcp:localhost:1",
            "tcp-listen:0.0.0.0:0", "tcp:xn--bcher-kva.example:443", "tcp:10.0.0.1:80",
        ] {
            _ = try Address.parse(text)
        }
    }

    @Test("control characters in an address are escaped in its error")
    func controlsEscaped() {
        let error = AddressError(input: "tcp:\u{1b}]0;x\u{07}:80", problem: "bad host name")
        #expect(error.description == "bad address \"tcp:\\x1b]0;x\\x07:80\": bad host name")
    }

    @Test("a listen host is resolved at start; an unknown one is a bad address naming it")
    func listenResolution() throws {
        try Address.tcpListen(host: "127.0.0.1", port: 0).resolveListenHost()
        try Address.tcpListen(host: "localhost", port: 0).resolveListenHost()
        try Address.tcp(host: "nonexistent.invalid", port: 80).resolveListenHost()
        #expect {
            try Address.tcpListen(host: "nonexistent.invalid", port: 80).resolveListenHost()
        } throws: { error in
            let text = (error as? AddressError)?.description ?? ""
            return text.hasPrefix(
                "bad address \"tcp-listen:nonexistent.invalid:80\": cannot resolve host \"nonexistent.invalid\""
            )
        }
    }
}

import Testing

@testable import FlowTransport

@Suite struct AddressTests {
    static let valid: [(String, Address, String)] = [
        ("tcp-listen:8080", .tcpListen(host: "127.0.0.1", port: 8080), "tcp-listen:127.0.0.1:8080"),
        ("tcp-listen:0", .tcpListen(host: "127.0.0.1", port: 0), "tcp-listen:127.0.0.1:0"),
        ("tcp-listen:0.0.0.0:80", .tcpListen(host: "0.0.0.0", port: 80), "tcp-listen:0.0.0.0:80"),
        ("tcp-listen:[::1]:9000", .tcpListen(host: "::1", port: 9000), "tcp-listen:[::1]:9000"),
        ("tcp-listen:[::]:65535", .tcpListen(host: "::", port: 65535), "tcp-listen:[::]:65535"),
        ("tcp-listen:localhost:5", .tcpListen(host: "localhost", port: 5), "tcp-listen:localhost:5"),
        ("tcp:127.0.0.1:6379", .tcp(host: "127.0.0.1", port: 6379), "tcp:127.0.0.1:6379"),
        ("tcp:example.com:80", .tcp(host: "example.com", port: 80), "tcp:example.com:80"),
        ("tcp:[::1]:8080", .tcp(host: "::1", port: 8080), "tcp:[::1]:8080"),
        ("TCP:h:1", .tcp(host: "h", port: 1), "tcp:h:1"),
        ("unix-listen:/tmp/a.sock", .unixListen(path: "/tmp/a.sock"), "unix-listen:/tmp/a.sock"),
        ("unix:/tmp/a.sock", .unix(path: "/tmp/a.sock"), "unix:/tmp/a.sock"),
        ("unix:rel/a:b.sock", .unix(path: "rel/a:b.sock"), "unix:rel/a:b.sock"),
    ]

    @Test(arguments: valid)
    func parsesValidForms(text: String, expected: Address, canonical: String) throws {
        let address = try Address.parse(text)
        #expect(address == expected)
        #expect(address.description == canonical)
        #expect(try Address.parse(address.description) == address)
        #expect(address.isListen == text.lowercased().contains("listen"))
    }

    static let invalid: [(String, String)] = [
        ("", "empty address"),
        ("8080", "missing scheme"),
        (":80", "missing scheme"),
        (
            "udp:1",
            "unknown scheme \"udp\" (expected tcp, tcp-listen, unix, unix-listen, socks5-listen, http-proxy-listen)"
        ),
        ("tcp:localhost", "missing port"),
        ("tcp:h:99999", "port 99999 out of range 0-65535"),
        ("tcp:h:123456789012345678901234567890", "out of range 0-65535"),
        ("unix:", "empty path"),
        ("unix-listen:", "empty path"),
        ("unix:/" + String(repeating: "x", count: 120), "path too long"),
        ("tcp:h:0", "port 0 is not valid"),
        ("tcp:h:abc", "port \"abc\" is not a number"),
        ("tcp:h:-1", "is not a number"),
        ("tcp:h:", "missing port"),
        ("tcp:", "missing host and port"),
        ("tcp::80", "empty host"),
        ("tcp:80", "missing host"),
        ("tcp-listen:", "missing port"),
        ("tcp-listen:x80", "port \"x80\" is not a number"),
        ("tcp-listen:a:b:c", "too many"),
        ("tcp-listen:1:2:3:4", "too many"),
        ("tcp:[::1:80", "missing \"]\""),
        ("tcp:[]:80", "empty IPv6 address"),
        ("tcp:[zz]:80", "bad IPv6 address \"zz\""),
        ("tcp:[::1]80", "expected \":PORT\" after \"]\""),
        ("tcp:[::1]", "missing port"),
        ("tcp:[::1]:", "missing port"),
        ("tcp:::1:80", "must be in brackets"),
        ("tcp-listen:fe80::1:80", "must be in brackets"),
        ("tcp-listen:1:2]", "misplaced bracket"),
    ]

    @Test(arguments: invalid)
    func rejectsBadForms(text: String, problem: String) {
        #expect {
            _ = try Address.parse(text)
        } throws: { error in
            guard let error = error as? AddressError else { return false }
            return error.input == text && error.description.hasPrefix("bad address \"\(text)\": ")
                && error.description.contains(problem)
        }
    }

    @Test func messagesMatchTheDesign() {
        func message(_ text: String) -> String {
            do {
                _ = try Address.parse(text)
                return "parsed"
            } catch {
                return error.description
            }
        }
        #expect(message("tcp:localhost") == "bad address \"tcp:localhost\": missing port")
        #expect(message("tcp:h:99999") == "bad address \"tcp:h:99999\": port 99999 out of range 0-65535")
        let expected =
            "unknown scheme \"udp\" (expected tcp, tcp-listen, unix, unix-listen, socks5-listen, http-proxy-listen)"
        #expect(message("udp:1") == "bad address \"udp:1\": " + expected)
        #expect(message("unix:") == "bad address \"unix:\": empty path")
    }
}

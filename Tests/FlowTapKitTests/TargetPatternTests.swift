import Testing

@testable import FlowTapKit

/// `--only HOST[:PORT]` patterns.
@Suite("--only patterns: host globs, ports, IPv6 in brackets")
struct TargetPatternTests {
    @Test("a glob matches the name or the address, without regard to case; a port must match when given")
    func matching() throws {
        let any = try TargetPattern(parsing: "*.Example.com")
        #expect(any.port == nil)
        #expect(any.matches(address: "93.184.216.34", name: "www.example.COM", port: 443))
        #expect(!any.matches(address: "93.184.216.34", name: "example.com", port: 443))
        let redis = try TargetPattern(parsing: "127.0.0.*:6379")
        #expect(redis.matches(address: "127.0.0.1", name: nil, port: 6379))
        #expect(!redis.matches(address: "127.0.0.1", name: nil, port: 6380))
        let v6 = try TargetPattern(parsing: "[::1]:80")
        #expect(v6.host == "::1" && v6.port == 80)
        #expect(v6.matches(address: "::1", name: nil, port: 80))
        #expect(v6.description == "[::1]:80")
        #expect(try TargetPattern(parsing: "::1").host == "::1")
    }

    @Test("bad patterns are refused with the reason")
    func refused() {
        for (text, problem) in [
            (":80", "empty host"), ("h:0", "not 1-65535"), ("h:x", "not 1-65535"), ("[::1", "missing"),
        ] {
            #expect {
                try TargetPattern(parsing: text)
            } throws: { error in
                (error as? TargetPatternError)?.description.contains(problem) == true
            }
        }
    }
}

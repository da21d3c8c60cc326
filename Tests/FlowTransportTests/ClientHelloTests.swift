import Testing

@testable import FlowTransport

/// The ClientHello reader of `tls-listen:` on hand-built hellos: what it finds, when it asks
/// for more, and what it refuses.
@Suite struct ClientHelloTests {
    /// A ClientHello handshake message with these extensions (type, data).
    static func message(_ extensions: [(UInt16, [UInt8])]) -> [UInt8] {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32) + [0]  // version, random, no session id
        body += [0, 2, 0x13, 0x01]  // one cipher suite
        body += [1, 0]  // null compression
        var ext: [UInt8] = []
        for (type, data) in extensions {
            ext += be16(Int(type)) + be16(data.count) + data
        }
        body += be16(ext.count) + ext
        return [1] + be24(body.count) + body
    }

    static func records(_ message: [UInt8], size: Int = 16384) -> [UInt8] {
        var out: [UInt8] = []
        var rest = message[...]
        while !rest.isEmpty {
            let piece = rest.prefix(size)
            rest = rest.dropFirst(piece.count)
            out += [22, 3, 1] + be16(piece.count) + piece
        }
        return out
    }

    static func sni(_ name: String) -> (UInt16, [UInt8]) {
        let bytes = Array(name.utf8)
        let entry: [UInt8] = [0] + be16(bytes.count) + bytes
        return (0, be16(entry.count) + entry)
    }

    static func alpn(_ names: [String]) -> (UInt16, [UInt8]) {
        let list = names.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        return (16, be16(list.count) + list)
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
    static func be24(_ value: Int) -> [UInt8] { [UInt8(value >> 16 & 0xff)] + be16(value) }

    @Test func findsServerNameAndProtocols() throws {
        let bytes = Self.records(
            Self.message([(10, [0, 2, 0, 29]), Self.sni("example.com"), Self.alpn(["h2", "http/1.1"])]))
        #expect(
            try ClientHello.parse(bytes)
                == .complete(
                    ClientHello(serverName: "example.com", applicationProtocols: ["h2", "http/1.1"])))
    }

    @Test func noExtensionsMeansNoNameNoProtocols() throws {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0, count: 32) + [0, 0, 2, 0, 0x2f, 1, 0]
        body = [1] + Self.be24(body.count) + body
        #expect(
            try ClientHello.parse(Self.records(body))
                == .complete(ClientHello(serverName: nil, applicationProtocols: [])))
    }

    @Test func readsAcrossRecordsAndAsksForWhatIsMissing() throws {
        let whole = Self.records(Self.message([Self.sni("a.test"), Self.alpn(["redis"])]), size: 10)
        var asked = 0
        var progress = try ClientHello.parse([])
        while case .needMore(let count) = progress {
            #expect(count > asked)
            asked = count
            progress = try ClientHello.parse(Array(whole.prefix(count)))
        }
        #expect(progress == .complete(ClientHello(serverName: "a.test", applicationProtocols: ["redis"])))
        #expect(asked == whole.count)
    }

    @Test func plaintextIsRefusedWithAHint() {
        #expect {
            _ = try ClientHello.parse(Array("GET / HTTP/1.1\r\n".utf8))
        } throws: { error in
            (error as? ClientHelloError)?.description.contains("plaintext") == true
        }
    }

    static let malformed: [(String, [UInt8])] = [
        ("not a ClientHello", records([2, 0, 0, 1, 0])),
        ("ClientHello of", [22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]),
        ("runs past", records(message([(0, [0, 9, 0, 0, 5] + Array("ab".utf8))]))),
        ("server name that is not printable", records(message([sni("a\u{7f}b")]))),
        ("empty ALPN", records(message([(16, [0, 1, 0])]))),
        ("two server_name", records(message([sni("a"), sni("b")]))),
        ("record of type 23", Array(records(message([sni("a")]), size: 8).prefix(13)) + [23, 3, 3, 0, 1, 0]),
        ("handshake record of 0 bytes", [22, 3, 1, 0, 0]),
        ("more than 64 records", records(message([sni(String(repeating: "x", count: 100))]), size: 1)),
    ]

    @Test(arguments: malformed)
    func refusesMalformedHellos(problem: String, bytes: [UInt8]) {
        #expect {
            _ = try ClientHello.parse(bytes)
        } throws: { error in
            (error as? ClientHelloError)?.description.contains(problem) == true
        }
    }
}

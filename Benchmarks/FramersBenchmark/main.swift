// framers-bench: what decoding costs on the data path — bytes a second and messages a second of
// each framer over pre-made streams fed in pieces, as a flow wrapper under a tap would.
//
//     swift run -c release framers-bench [--mib 64] [--piece 65536]
//
// Each case feeds the same stream (a pipelined Redis SET workload, its +OK replies, HTTP
// responses with 16 KiB bodies, PostgreSQL DataRows, MQTT QoS 1 PUBLISHes, text lines) through a
// FrameConversation in pieces of `--piece` bytes and reports the best of three rounds.

import FlowFramers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

var mebibytes = 64
var pieceSize = 65_536
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--mib": mebibytes = Int(arguments.next() ?? "") ?? mebibytes
    case "--piece": pieceSize = max(1, Int(arguments.next() ?? "") ?? pieceSize)
    default:
        print("usage: framers-bench [--mib N] [--piece BYTES]")
        exit(2)
    }
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// `unit` repeated to about `mebibytes` MiB.
func stream(_ unit: [UInt8], mebibytes: Int) -> [UInt8] {
    let count = max(1, (mebibytes << 20) / unit.count)
    var out: [UInt8] = []
    out.reserveCapacity(count * unit.count)
    for _ in 0..<count { out += unit }
    return out
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = String(scaled / Int(scale))
    guard digits > 0 else { return whole }
    let fraction = String(scaled % Int(scale))
    return whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}

func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

let cases: [(String, DecoderSpec, FrameSide, [UInt8])] = [
    ("resp SET k v (client)", .resp, .client, Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".utf8)),
    ("resp +OK (server)", .resp, .server, Array("+OK\r\n".utf8)),
    (
        "http 200 + 16 KiB body (server)", .http, .server,
        Array("HTTP/1.1 200 OK\r\nContent-Length: 16384\r\nContent-Type: text/plain\r\n\r\n".utf8)
            + [UInt8](repeating: 0x61, count: 16_384)
    ),
    (
        "postgres DataRow (server)", .postgres, .server,
        [UInt8(ascii: "D")] + be32(4 + 2 + 4 + 10) + [0, 1] + be32(10) + Array("0123456789".utf8)
    ),
    (
        "mqtt PUBLISH qos1 (client)", .mqtt, .client,
        [0x32, 12, 0, 3] + Array("a/b".utf8) + [0, 7] + Array("hello".utf8)
    ),
    ("lines 40 B (client)", .lines, .client, Array(String(repeating: "x", count: 39).utf8) + [0x0a]),
]

print("framers-bench: \(mebibytes) MiB a case, pieces of \(pieceSize) B, best of 3")
for (name, spec, side, unit) in cases {
    let bytes = stream(unit, mebibytes: mebibytes)
    var best = Double.infinity
    var messages = 0
    for _ in 0..<3 {
        // Replies without requests: unpaired, framed the same.
        var conversation = FrameConversation(spec)
        let start = now()
        var found = 0
        bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + pieceSize, all.count)
                found +=
                    conversation.feed(side, UnsafeRawBufferPointer(rebasing: all[offset..<end])).messages
                    .count
                offset = end
            }
        }
        best = min(best, now() - start)
        messages = found
    }
    let mbs = Double(bytes.count) / best / 1e6
    let mps = Double(messages) / best / 1e6
    print("\(name): \(fixed(mbs, 1)) MB/s, \(fixed(mps, 2)) M messages/s")
}

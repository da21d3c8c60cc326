import FlowTestSupport
import Foundation
import Testing

@_spi(Fuzzing) @testable import FlowFramers

/// A conversation as it crossed the wire: each side's pieces in the order they came, and the
/// ends of stream. Built by hand from the protocol specs or loaded from a recording in
/// `Fixtures/` (JSON: `[["client"|"server", HEX or null for the end], …]`).
struct Transcript {
    var steps: [FramerFuzzing.Step] = []

    /// Appends a piece of `side`.
    func then(_ side: FrameSide, _ text: String) -> Transcript { then(side, Array(text.utf8)) }

    /// Appends a piece of `side`.
    func then(_ side: FrameSide, _ bytes: [UInt8]) -> Transcript {
        var copy = self
        copy.steps.append(.piece(side, bytes))
        return copy
    }

    /// Appends the end of `side`'s stream.
    func end(_ side: FrameSide) -> Transcript {
        var copy = self
        copy.steps.append(.end(side))
        return copy
    }

    /// A recording in `Fixtures/NAME.json`.
    static func fixture(_ name: String) throws -> Transcript {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json")
        let turns = try JSONDecoder().decode([[String?]].self, from: Data(contentsOf: url))
        var transcript = Transcript()
        for turn in turns {
            let side: FrameSide = turn.first == "client" ? .client : .server
            if let hex = turn.last ?? nil {
                transcript = transcript.then(side, Self.bytes(hex: hex))
            } else {
                transcript = transcript.end(side)
            }
        }
        return transcript
    }

    /// The bytes each side sent.
    func bytes(_ side: FrameSide) -> [UInt8] {
        steps.flatMap { step -> [UInt8] in
            if case .piece(side, let bytes) = step { return bytes }
            return []
        }
    }

    /// Runs `spec` over the pieces as they are.
    func run(_ spec: DecoderSpec, portHint: Int? = nil) -> FramerFuzzing.Outcome {
        FramerFuzzing.run(spec, portHint: portHint, steps)
    }

    /// Runs `spec` with every piece but the first cut at random points (seeded; one-byte pieces
    /// come often), the order of the pieces kept.
    func runCut(_ spec: DecoderSpec, seed: UInt64, portHint: Int? = nil) -> FramerFuzzing.Outcome {
        var rng = SeededRandom(seed: seed)
        var cut: [FramerFuzzing.Step] = []
        let oneByte = Int.random(in: 0...3, using: &rng) == 0
        for (n, step) in steps.enumerated() {
            guard n > 0, case .piece(let side, let bytes) = step else {
                cut.append(step)
                continue
            }
            var i = 0
            while i < bytes.count {
                let size = oneByte ? 1 : Int.random(in: 1...max(1, min(bytes.count - i, 40)), using: &rng)
                cut.append(.piece(side, Array(bytes[i..<(i + size)])))
                i += size
            }
        }
        return FramerFuzzing.run(spec, portHint: portHint, cut)
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            out.append(UInt8(nibble(high) << 4 | nibble(low)))
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
}

extension FramerFuzzing.Outcome {
    /// The summaries of `side`'s messages, in order.
    func summaries(_ side: FrameSide) -> [String] { messages.filter { $0.side == side }.map(\.summary) }

    /// `side`'s messages, in order.
    func messages(_ side: FrameSide) -> [FramedMessage] { messages.filter { $0.side == side } }

    /// For each of `side`'s messages, the request it answers (nil when unpaired) and whether it
    /// is the first reply: `"0"`, `"0…"` (a later reply), `"-"` (unpaired).
    func pairing(_ side: FrameSide) -> [String] {
        messages(side).map { message in
            guard let reply = message.reply else { return "-" }
            return reply.isFirst ? "\(reply.request)" : "\(reply.request)…"
        }
    }
}

/// `bytes` as a big-endian 32-bit number.
func be32(_ value: Int) -> [UInt8] {
    [
        UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
        UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
    ]
}

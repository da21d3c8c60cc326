/// Entry points for fuzzers: a libFuzzer target is one call from `LLVMFuzzerTestOneInput`, e.g.
///
/// ```swift
/// @_spi(Fuzzing) import FlowFramers
/// @_cdecl("LLVMFuzzerTestOneInput")
/// func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
///     FramerFuzzing.resp(UnsafeRawBufferPointer(start: data, count: size))
///     return 0
/// }
/// ```
///
/// Each runs a conversation over the input read as a schedule (``Schedule``), three times —
/// as scheduled, with each run of same-side pieces merged into one piece, and one byte at a
/// time — and traps (`precondition`) when an invariant breaks: a message outside the bytes fed
/// or not contiguous with the one before, indexes out of order, more than one decode error for a
/// side, a message after a side's error or raw switch, a summary over the bound or with a byte
/// a terminal could act on, or the three runs disagreeing.
@_spi(Fuzzing)
public enum FramerFuzzing {
    /// The input of a fuzz entry point as a list of steps: each control byte `c` says the side
    /// (`c & 1`: 0 client, 1 server) and, when `(c >> 1) & 3 == 3`, the side's end of stream;
    /// otherwise the next `(c >> 3) + 1` bytes (1…32, fewer at the end of the input) are a piece
    /// of that side.
    public enum Step: Sendable, Hashable {
        /// A piece of a side's stream.
        case piece(FrameSide, [UInt8])
        /// A side's end of stream.
        case end(FrameSide)
    }

    /// What a run found: every message, decode error and raw switch, and the bytes fed a side.
    public struct Outcome: Sendable, Hashable {
        /// The messages, in the order reported.
        public var messages: [FramedMessage] = []
        /// The decode errors, in the order reported.
        public var decodeErrors: [FrameDecodeError] = []
        /// The raw switches, in the order reported.
        public var rawSwitches: [RawSwitch] = []
        /// The bytes fed, client then server.
        public var fed: [Int] = [0, 0]
    }

    /// The steps `data` spells (see ``Step``).
    public static func schedule(_ data: UnsafeRawBufferPointer) -> [Step] {
        var steps: [Step] = []
        var i = 0
        while i < data.count {
            let control = data[i]
            i += 1
            let side: FrameSide = control & 1 == 0 ? .client : .server
            if (control >> 1) & 3 == 3 {
                steps.append(.end(side))
                continue
            }
            let count = min(Int(control >> 3) + 1, data.count - i)
            guard count > 0 else { break }
            steps.append(.piece(side, Array(data[i..<(i + count)])))
            i += count
        }
        return steps
    }

    /// Runs `spec` over `steps`, checking the invariants of every call; returns what it found.
    public static func run(_ spec: DecoderSpec, portHint: Int? = nil, _ steps: [Step]) -> Outcome {
        var conversation = FrameConversation(spec, portHint: portHint)
        var outcome = Outcome()
        var ends = [0, 0]
        var indexes = [0, 0]
        var stopped = [false, false]
        for step in steps {
            let found: FrameFeed
            let fedSide: FrameSide
            switch step {
            case .piece(let side, let bytes):
                found = conversation.feed(side, bytes)
                outcome.fed[side == .client ? 0 : 1] += bytes.count
                fedSide = side
            case .end(let side):
                found = conversation.end(side)
                fedSide = side
            }
            for message in found.messages {
                let s = message.side == .client ? 0 : 1
                precondition(message.side == fedSide, "a message of the side not fed: \(message)")
                precondition(!stopped[s], "a message after an error or raw switch: \(message)")
                precondition(message.offset == ends[s], "not contiguous: \(message), last end \(ends[s])")
                precondition(message.byteCount >= 1, "an empty message: \(message)")
                precondition(message.end <= outcome.fed[s], "past the bytes fed: \(message)")
                precondition(message.index == indexes[s], "index out of order: \(message)")
                precondition(isSafe(message.summary), "unsafe or long summary: \(message.summary)")
                ends[s] = message.end
                indexes[s] += 1
            }
            for error in found.decodeErrors {
                let s = error.side == .client ? 0 : 1
                precondition(
                    !outcome.decodeErrors.contains { $0.side == error.side }, "a second error: \(error)")
                precondition(
                    error.offset <= outcome.fed[s] && error.messageOffset <= error.offset, "\(error)")
                precondition(isSafe(error.reason, limit: 400), "unsafe reason: \(error.reason)")
                stopped[s] = true
            }
            for switched in found.rawSwitches {
                stopped[switched.side == .client ? 0 : 1] = true
            }
            outcome.messages += found.messages
            outcome.decodeErrors += found.decodeErrors
            outcome.rawSwitches += found.rawSwitches
        }
        return outcome
    }

    /// Runs `spec` over the schedule `data` spells in three splittings and traps unless all
    /// agree (see the type). The first piece is never merged, so `auto` decides alike.
    @discardableResult
    public static func check(_ spec: DecoderSpec, portHint: Int? = nil, _ data: UnsafeRawBufferPointer)
        -> Outcome
    {
        let steps = schedule(data)
        let outcome = run(spec, portHint: portHint, steps)
        let merged = run(spec, portHint: portHint, merge(steps))
        precondition(merged == outcome, "merged pieces disagree")
        let single = run(spec, portHint: portHint, bytewise(steps))
        precondition(single == outcome, "one-byte pieces disagree")
        return outcome
    }

    /// The HTTP framer over a fuzzer's input.
    public static func http(_ data: UnsafeRawBufferPointer) { check(.http, data) }
    /// The RESP framer over a fuzzer's input.
    public static func resp(_ data: UnsafeRawBufferPointer) { check(.resp, data) }
    /// The PostgreSQL framer over a fuzzer's input.
    public static func postgres(_ data: UnsafeRawBufferPointer) { check(.postgres, data) }
    /// The MQTT framer over a fuzzer's input.
    public static func mqtt(_ data: UnsafeRawBufferPointer) { check(.mqtt, data) }
    /// The `lines` framer over a fuzzer's input.
    public static func lines(_ data: UnsafeRawBufferPointer) { check(.lines, data) }

    /// The `len:SPEC` framer over a fuzzer's input: its first two bytes choose the field (byte 0
    /// mod 5), the offset (byte 0 / 5, 0…51) and the adjustment (byte 1 as an Int8).
    public static func length(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let field = LengthPrefix.Field.allCases[Int(data[0]) % 5]
        let prefix = LengthPrefix(
            field: field, fieldOffset: Int(data[0]) / 5, adjustment: Int(Int8(bitPattern: data[1])))
        check(.length(prefix), UnsafeRawBufferPointer(rebasing: data[2...]))
    }

    /// `auto` over a fuzzer's input: its first byte chooses the port hint (none, or one of
    /// ``ProtocolDetector/portHints``).
    public static func auto(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let ports = ProtocolDetector.portHints.keys.sorted()
        let hint = Int(first) < ports.count ? ports[Int(first)] : nil
        check(.auto, portHint: hint, UnsafeRawBufferPointer(rebasing: data[1...]))
    }

    /// The `--decode` parser over a fuzzer's input (as UTF-8, invalid sequences repaired):
    /// traps unless a spec it accepts spells itself back.
    public static func spec(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        guard let spec = try? DecoderSpec(parsing: text) else { return }
        precondition(
            (try? DecoderSpec(parsing: spec.description)) == spec, "\(spec) does not spell itself back")
    }

    private static func merge(_ steps: [Step]) -> [Step] {
        let first = firstPiece(steps)
        var out: [Step] = []
        for (n, step) in steps.enumerated() {
            if n > first, case .piece(let side, let bytes) = step, out.count > first + 1,
                case .piece(let last, let previous) = out.last, last == side
            {
                out[out.count - 1] = .piece(side, previous + bytes)
            } else {
                out.append(step)
            }
        }
        return out
    }

    private static func bytewise(_ steps: [Step]) -> [Step] {
        let first = firstPiece(steps)
        var out: [Step] = []
        for (n, step) in steps.enumerated() {
            if n > first, case .piece(let side, let bytes) = step {
                out += bytes.map { .piece(side, [$0]) }
            } else {
                out.append(step)
            }
        }
        return out
    }

    /// The index of the first piece (the one an `auto` conversation decides on).
    private static func firstPiece(_ steps: [Step]) -> Int {
        steps.firstIndex {
            if case .piece = $0 { return true }
            return false
        } ?? steps.count
    }

    private static func isSafe(_ text: String, limit: Int = SummaryText.limit) -> Bool {
        var count = 0
        for scalar in text.unicodeScalars {
            count += 1
            guard (0x20..<0x7f).contains(scalar.value) || scalar == "…" else { return false }
        }
        return count <= limit
    }
}

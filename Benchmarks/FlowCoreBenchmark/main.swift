// flowcore-bench: what FlowCore's copy(from:to:) costs per chunk, measured against a plain memcpy
// of the same bytes.
//
//     swift run -c release flowcore-bench [--gib 4] [--chunk 65536] [--capacity 65536] [--rounds 3]
//                                         [--only NAME[,NAME…]]
//
// Every case moves the same pre-made 64 KiB ByteBuffers (a ring of 16, 1 MiB in all, so the bytes
// stay in cache): a writer task writes them into pipe A, `copy` moves A → B, a reader task drains
// B. FlowCore never copies bytes (a ByteBuffer is passed on by reference), so the time of the
// copy path is its per-chunk overhead; the "+memcpy" variant makes the reader copy each chunk into
// a sink, as a socket write would, so that it can be compared with the plain memcpy loop.
// Each case runs `--rounds` times; the best round is reported, in wall time and in process CPU
// time. On a shared machine, `taskset -c 0 …` (all tasks on one core) gives the steadiest CPU
// ns/chunk: no cross-core wake-ups, only FlowCore's and the Swift runtime's own work.

import FlowCore
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: Options

struct Options {
    var totalBytes = 4 << 30
    var chunkSize = 64 * 1024
    var capacity = Pipe.defaultCapacity
    var rounds = 3
    var only: Set<String>? = nil

    static let usage = """
        usage: flowcore-bench [--gib N] [--chunk BYTES] [--capacity BYTES] [--rounds N]
                              [--only memcpy,pipe,copy,copy+memcpy,proxy]
        """

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(_ name: String) -> String {
            guard let value = rest.popFirst() else { fail("\(name) needs a value") }
            return value
        }
        func number(_ name: String) -> Double {
            guard let number = Double(value(name)), number > 0 else {
                fail("\(name) needs a positive number")
            }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--gib": options.totalBytes = Int(number(argument) * Double(1 << 30))
            case "--chunk": options.chunkSize = Int(number(argument))
            case "--capacity": options.capacity = Int(number(argument))
            case "--rounds": options.rounds = Int(number(argument))
            case "--only": options.only = Set(value(argument).split(separator: ",").map(String.init))
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown argument \(argument)")
            }
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        print("flowcore-bench: \(message)\n\(usage)")
        exit(2)
    }

    var chunks: Int { max(1, totalBytes / chunkSize) }
    func runs(_ name: String) -> Bool { only?.contains(name) ?? true }
}

// MARK: Helpers

/// Keeps a value alive so the optimizer cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

/// `value` with `digits` decimals, without Foundation.
func format(_ value: Double, _ digits: Int = 2) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return "\(sign)\(whole)" }
    let text = String(fraction)
    return "\(sign)\(whole).\(String(repeating: "0", count: digits - text.count))\(text)"
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func say(_ text: String) {
    print(text)
    fflush(nil)
}

/// A sink the reader copies each chunk into: what a socket write would cost in user space.
final class Sink: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
    var check: UInt64 = 0

    init(size: Int) {
        memory = .allocate(byteCount: size, alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
    }
    deinit { memory.deallocate() }

    @inline(__always)
    func take(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            memory.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        check &+= UInt64(memory[Int(check & 0xFFF)])
    }
}

// MARK: Cases

/// One case: its name, a description, and how many bytes a round moves (`chunks` × chunk size,
/// times two for the two-way proxy).
struct Case {
    let name: String
    let label: String
    let directions: Int
    let run: @Sendable (Options, [ByteBuffer]) async -> Void
}

/// Writes `chunks` chunks from the ring into `flow`, then shuts its write side.
func produce(_ flow: some ShutdownableFlow, _ ring: [ByteBuffer], chunks: Int) async {
    let mask = ring.count - 1
    do {
        for index in 0..<chunks { try await flow.write(ring[index & mask]) }
    } catch {
        fatalError("writer: \(error)")
    }
    await flow.shutdownWrite()
}

/// Reads `flow` until end-of-file; copies each chunk into a sink when `touch` is set.
/// Returns the number of bytes read.
func drain(_ flow: some Flow, touch: Bool, chunkSize: Int) async -> Int {
    let sink = touch ? Sink(size: chunkSize) : nil
    var bytes = 0
    do {
        while case .data(let buffer) = try await flow.read() {
            bytes += buffer.readableBytes
            sink?.take(buffer)
        }
    } catch {
        fatalError("reader: \(error)")
    }
    blackHole(sink?.check)
    return bytes
}

func expect(_ bytes: Int, _ options: Options, _ what: String) {
    let wanted = options.chunks * options.chunkSize
    if bytes != wanted { fatalError("\(what): read \(bytes) bytes, wanted \(wanted)") }
}

/// writer → pipe → reader: one pipe hop, no copy task.
func pipeOnly(_ options: Options, _ ring: [ByteBuffer]) async {
    let pipe = Pipe.pair(capacity: options.capacity)
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await produce(pipe.a, ring, chunks: options.chunks) }
        group.addTask {
            expect(await drain(pipe.b, touch: false, chunkSize: options.chunkSize), options, "pipe")
        }
    }
}

/// writer → pipe A → copy → pipe B → reader.
func copyPath(_ options: Options, _ ring: [ByteBuffer], touch: Bool) async {
    let first = Pipe.pair(capacity: options.capacity)
    let second = Pipe.pair(capacity: options.capacity)
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await produce(first.a, ring, chunks: options.chunks) }
        group.addTask {
            do {
                let stats = try await copy(from: first.b, to: second.a)
                blackHole(stats)
            } catch {
                fatalError("copy: \(error)")
            }
            await second.a.shutdownWrite()
        }
        group.addTask {
            expect(await drain(second.b, touch: touch, chunkSize: options.chunkSize), options, "copy")
        }
    }
}

/// client ⇄ pipe ⇄ proxy ⇄ pipe ⇄ server, the same volume written at both ends at once.
func proxyPath(_ options: Options, _ ring: [ByteBuffer]) async {
    let client = Pipe.pair(capacity: options.capacity)
    let server = Pipe.pair(capacity: options.capacity)
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                let stats = try await proxy(client.b, server.a)
                blackHole(stats)
            } catch {
                fatalError("proxy: \(error)")
            }
        }
        group.addTask { await produce(client.a, ring, chunks: options.chunks) }
        group.addTask { await produce(server.b, ring, chunks: options.chunks) }
        group.addTask {
            expect(await drain(server.b, touch: false, chunkSize: options.chunkSize), options, "proxy a→b")
        }
        group.addTask {
            expect(await drain(client.a, touch: false, chunkSize: options.chunkSize), options, "proxy b→a")
        }
    }
}

/// The baseline: the same chunks memcpy'd into one sink buffer, in a plain loop.
func memcpyLoop(_ options: Options, _ ring: [ByteBuffer]) async {
    let sink = Sink(size: options.chunkSize)
    let mask = ring.count - 1
    for index in 0..<options.chunks { sink.take(ring[index & mask]) }
    blackHole(sink.check)
}

// MARK: Main

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let ring: [ByteBuffer] = (0..<16).map { seed in
    var buffer = ByteBufferAllocator().buffer(capacity: options.chunkSize)
    buffer.writeBytes((0..<options.chunkSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) })
    return buffer
}

let cases: [Case] = [
    Case(name: "memcpy", label: "memcpy loop (baseline)", directions: 1) { await memcpyLoop($0, $1) },
    Case(name: "pipe", label: "writer→pipe→reader", directions: 1) { await pipeOnly($0, $1) },
    Case(name: "copy", label: "copy over Pipe.pair", directions: 1) { await copyPath($0, $1, touch: false) },
    Case(name: "copy+memcpy", label: "copy, reader memcpy's", directions: 1) {
        await copyPath($0, $1, touch: true)
    },
    Case(name: "proxy", label: "proxy, both ways", directions: 2) { await proxyPath($0, $1) },
]

say(
    "flowcore-bench: \(options.chunks) chunks of \(options.chunkSize) B "
        + "(\(format(Double(options.chunks * options.chunkSize) / Double(1 << 30))) GiB) per direction, "
        + "pipe capacity \(options.capacity) B, best of \(options.rounds) rounds")

/// CPU time (user + system) this process has used so far, in seconds.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Best wall-clock seconds per round of each case that ran, and the least CPU seconds.
var best: [String: Double] = [:]
var leastCPU: [String: Double] = [:]
let clock = ContinuousClock()
for item in cases where options.runs(item.name) {
    var fastest = Double.infinity
    var cheapest = Double.infinity
    for round in 1...options.rounds {
        let cpuStart = cpuSeconds()
        let start = clock.now
        await item.run(options, ring)
        let elapsed = seconds(start.duration(to: clock.now))
        let cpu = cpuSeconds() - cpuStart
        fastest = min(fastest, elapsed)
        cheapest = min(cheapest, cpu)
        let bytes = Double(options.chunks * options.chunkSize * item.directions)
        say(
            "  \(pad(item.name, 12)) round \(round)/\(options.rounds): \(format(elapsed, 3)) s, "
                + "\(format(bytes / elapsed / 1e9)) GB/s, CPU \(format(cpu, 3)) s")
    }
    best[item.name] = fastest
    leastCPU[item.name] = cheapest
}

say("")
say("\(pad("case", 24)) \(pad("GB/s", 8)) \(pad("ns/chunk", 10)) \(pad("CPU ns/chunk", 13)) vs memcpy loop")
let baseline = best["memcpy"].map { $0 / Double(options.chunks) * 1e9 }
for item in cases {
    guard let time = best[item.name], let cpu = leastCPU[item.name] else { continue }
    let moved = options.chunks * item.directions
    let rate = Double(moved * options.chunkSize) / time / 1e9
    let perChunk = time / Double(moved) * 1e9
    let cpuPerChunk = cpu / Double(moved) * 1e9
    var versus = ""
    if let baseline, item.name != "memcpy" {
        let extra = perChunk - baseline
        versus =
            "ratio \(format(baseline / perChunk, 2)), "
            + "\(extra >= 0 ? "+" : "")\(format(extra, 0)) ns/chunk"
    }
    say(
        "\(pad(item.label, 24)) \(pad(format(rate), 8)) \(pad(format(perChunk, 0), 10)) "
            + "\(pad(format(cpuPerChunk, 0), 13)) \(versus)")
}
say(
    """

    GB/s = 10^9 bytes/s. ns/chunk = best round's wall time ÷ chunks moved (both directions for the \
    proxy); CPU ns/chunk = least user+system CPU time of a round ÷ chunks moved (all threads; \
    steadier than wall time on a busy machine). ratio = the case's GB/s ÷ the memcpy loop's; \
    +ns/chunk = its ns/chunk minus the loop's. pipe/copy/proxy pass ByteBuffer references and \
    move no bytes, so their ns/chunk is FlowCore's own per-chunk cost; "copy+memcpy" adds the \
    byte copy a socket write would do.
    """)

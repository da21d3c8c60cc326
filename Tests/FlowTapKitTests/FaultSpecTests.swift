import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import NIOCore
import Testing

/// `--fault DIR:KIND=VALUE`: what parses, into what, and the errors naming the wrong part.
@Suite("FaultSpec: parsing --fault values")
struct FaultSpecTests {
    static let good: [(String, FaultSpec)] = [
        ("s2c:latency=200ms", FaultSpec(.s2c, .latency(.milliseconds(200)))),
        ("c2s:latency=1.5s", FaultSpec(.c2s, .latency(.milliseconds(1500)))),
        (
            "both:latency=200ms~50ms",
            FaultSpec(.both, .latency(.milliseconds(200), jitter: .milliseconds(50)))
        ),
        ("s2c:latency=750us", FaultSpec(.s2c, .latency(.microseconds(750)))),
        ("s2c:latency=0ms", FaultSpec(.s2c, .latency(.zero))),
        ("c2s:bandwidth=64KiB/s", FaultSpec(.c2s, .bandwidth(bytesPerSecond: 65536))),
        ("c2s:bandwidth=1MiB/s", FaultSpec(.c2s, .bandwidth(bytesPerSecond: 1 << 20))),
        ("c2s:bandwidth=1000/s", FaultSpec(.c2s, .bandwidth(bytesPerSecond: 1000))),
        ("c2s:bandwidth=2MB", FaultSpec(.c2s, .bandwidth(bytesPerSecond: 2_000_000))),
        ("both:slice=1", FaultSpec(.both, .slice(bytes: 1))),
        ("c2s:slice=16,delay=10ms", FaultSpec(.c2s, .slice(bytes: 16, delay: .milliseconds(10)))),
        ("s2c:limit=1MiB", FaultSpec(.s2c, .limit(bytes: 1 << 20))),
        ("s2c:limit=0", FaultSpec(.s2c, .limit(bytes: 0))),
        ("c2s:reset=10KiB", FaultSpec(.c2s, .reset(afterBytes: 10240))),
        ("c2s:reset=now", FaultSpec(.c2s, .reset(afterBytes: 0))),
        ("s2c:slowclose=2s", FaultSpec(.s2c, .slowClose(.seconds(2)))),
        ("s2c:slowclose=1min", FaultSpec(.s2c, .slowClose(.seconds(60)))),
        ("both:blackhole", FaultSpec(.both, .blackhole)),
    ]

    @Test("good values", arguments: good)
    func parses(text: String, expected: FaultSpec) throws {
        #expect(try FaultSpec.parse(text) == expected)
    }

    @Test("a spec prints as it parses back", arguments: good)
    func roundTrip(text: String, expected: FaultSpec) throws {
        #expect(try FaultSpec.parse(expected.description) == expected)
    }

    @Test("the printed forms")
    func descriptions() {
        #expect(FaultSpec(.s2c, .latency(.milliseconds(200))).description == "s2c:latency=200ms")
        #expect(
            Fault.latency(.milliseconds(200), jitter: .milliseconds(50)).description == "latency=200ms~50ms")
        #expect(Fault.bandwidth(bytesPerSecond: 65536).description == "bandwidth=64KiB/s")
        #expect(Fault.slice(bytes: 1, delay: .milliseconds(10)).description == "slice=1,delay=10ms")
        #expect(Fault.limit(bytes: 1 << 20).description == "limit=1MiB")
        #expect(Fault.reset(afterBytes: 0).description == "reset=now")
        #expect(Fault.slowClose(.milliseconds(1500)).description == "slowclose=1500ms")
        #expect(Fault.blackhole.description == "blackhole")
    }

    static let bad: [(String, String)] = [
        ("s2c:latency=abc", #""s2c:latency=abc": bad duration "abc" (expected e.g. 200ms, 1.5s)"#),
        ("s2c:latency=200", #""s2c:latency=200": bad duration "200" (expected e.g. 200ms, 1.5s)"#),
        ("s2c:latency=200ms~x", #""s2c:latency=200ms~x": bad duration "x" (expected e.g. 200ms, 1.5s)"#),
        ("s2c:latency", #""s2c:latency": latency needs a value, e.g. latency=200ms"#),
        ("s2c:latency=", #""s2c:latency=": latency needs a value, e.g. latency=200ms"#),
        (
            "latency=200ms",
            #""latency=200ms": missing the direction (expected DIR:KIND=VALUE, e.g. s2c:latency=200ms)"#
        ),
        ("up:latency=200ms", #""up:latency=200ms": bad direction "up" (expected c2s, s2c or both)"#),
        (
            "c2s:jam=1",
            #""c2s:jam=1": unknown fault "jam" (expected latency, bandwidth, slice, limit, reset, "#
                + "slowclose or blackhole)"
        ),
        (
            "c2s:bandwidth=fast",
            #""c2s:bandwidth=fast": bad rate "fast" (expected e.g. 64KiB/s, 1MiB/s, at least 1/s)"#
        ),
        (
            "c2s:bandwidth=0/s",
            #""c2s:bandwidth=0/s": bad rate "0/s" (expected e.g. 64KiB/s, 1MiB/s, at least 1/s)"#
        ),
        (
            "c2s:slice=0",
            #""c2s:slice=0": bad slice size "0" (expected a byte count of at least 1, e.g. 1, 16)"#
        ),
        (
            "c2s:slice=1,pause=2ms",
            #""c2s:slice=1,pause=2ms": unknown slice option "pause=2ms" "#
                + "(expected delay=DURATION, e.g. delay=10ms)"
        ),
        (
            "c2s:slice=1,delay=soon",
            #""c2s:slice=1,delay=soon": bad duration "soon" (expected e.g. 200ms, 1.5s)"#
        ),
        ("s2c:limit=-1", #""s2c:limit=-1": bad size "-1" (expected e.g. 1MiB, 64KiB, 1000)"#),
        ("s2c:limit=1XB", #""s2c:limit=1XB": bad size "1XB" (expected e.g. 1MiB, 64KiB, 1000)"#),
        ("s2c:reset=later", #""s2c:reset=later": bad size "later" (expected e.g. 1MiB, 64KiB, 1000)"#),
        ("s2c:slowclose=2", #""s2c:slowclose=2": bad duration "2" (expected e.g. 200ms, 1.5s)"#),
        ("s2c:blackhole=1", #""s2c:blackhole=1": blackhole takes no value, not "1""#),
    ]

    @Test("bad values: the error names the wrong part", arguments: bad)
    func rejects(text: String, message: String) {
        #expect(throws: FaultSpecError(spec: text, problem: String(message.dropFirst(text.count + 4)))) {
            try FaultSpec.parse(text)
        }
        do {
            _ = try FaultSpec.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("a fault event in JSON, text, the capture and the model")
    func events() throws {
        let event = SessionEvent(conn: 3, .fault(.s2c, "latency=200ms"), time: 1_000_000_000)
        #expect(
            EventFormatter.json(event)
                == #"{"t":1.000000,"event":"fault","conn":3,"dir":"s2c","fault":"latency=200ms"}"#)
        #expect(EventFormatter.text(event)?.hasSuffix("#3 s2c fault: latency=200ms\n") == true)
        let model = InspectorModel(target: "t")
        let open = SessionEvent.Kind.open(client: .unix(path: "/c"), target: .unix(path: "/s"))
        model.record(SessionEvent(conn: 3, open))
        model.record(event)
        model.record(SessionEvent(conn: 3, .fault(.s2c, "slice=1")))
        #expect(model.snapshot().sessions[0].s2c.faults == ["latency=200ms", "slice=1"])
        model.record(SessionEvent(conn: 3, .fault(.s2c, "-latency=200ms")))
        #expect(model.snapshot().sessions[0].s2c.faults == ["slice=1"])
        #expect(model.snapshot().sessions[0].c2s.faults == [])
    }
}

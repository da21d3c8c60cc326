import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import NIOCore
import Synchronization
import Testing

@Suite("Headless control: commands parsed, lines bounded, held chunks dropped ahead, reset peers end")
struct HeadlessCommandTests {
    static func parse(_ line: String) throws(ControlCommandError) -> ControlCommand? {
        try ControlCommand.parse(Array(line.utf8))
    }

    static func reason(_ line: String) -> String {
        do {
            _ = try parse(line)
            return "(accepted)"
        } catch {
            return error.reason
        }
    }

    @Test("each command's fields, with dir omitted meaning both where it may be")
    func commands() throws {
        #expect(
            try Self.parse(#"{"cmd":"resume","conn":1}"#)
                == ControlCommand(.resume, conn: 1, directions: [.c2s, .s2c]))
        #expect(
            try Self.parse(#"{"conn":2,"dir":"s2c","cmd":"step"}"#)
                == ControlCommand(.step, conn: 2, directions: [.s2c]))
        #expect(
            try Self.parse(#"{"cmd":"pause","conn":3,"dir":"both"}"# + "\r")
                == ControlCommand(.pause, conn: 3, directions: [.c2s, .s2c]))
        #expect(
            try Self.parse(#"{"cmd":"drop","conn":1,"dir":"c2s"}"#)
                == ControlCommand(.drop, conn: 1, directions: [.c2s]))
        #expect(
            try Self.parse(#"{"cmd":"inject","conn":1,"dir":"c2s","text":"PING\\r\\n\\x00"}"#)
                == ControlCommand(
                    .inject(ByteBuffer(bytes: Array("PING\r\n\u{0}".utf8))), conn: 1, directions: [.c2s]))
        #expect(
            try Self.parse(#"{"cmd":"replace","conn":1,"dir":"s2c","hex":"2B4f4b"}"#)
                == ControlCommand(.replace(ByteBuffer(string: "+OK")), conn: 1, directions: [.s2c]))
        #expect(try Self.parse(#"{"cmd":"kill","conn":4}"#)?.action == .kill)
        #expect(
            try Self.parse(#"{"cmd":"fin","conn":4,"dir":"c2s"}"#)
                == ControlCommand(.fin, conn: 4, directions: [.c2s]))
        #expect(
            try Self.parse(#"{"cmd":"fault","conn":1,"fault":"s2c:latency=200ms"}"#)
                == ControlCommand(
                    .fault(.add(.latency(.milliseconds(200), jitter: .zero, seed: 0))), conn: 1,
                    directions: [.s2c]))
        #expect(
            try Self.parse(#"{"cmd":"fault","conn":1,"dir":"c2s","fault":"-slice=1"}"#)
                == ControlCommand(
                    .fault(.remove(.slice(bytes: 1, delay: .zero))), conn: 1, directions: [.c2s]))
        #expect(
            try Self.parse(#"{"cmd":"fault","conn":1,"fault":"both:clear"}"#)
                == ControlCommand(.fault(.clear), conn: 1, directions: [.c2s, .s2c]))
        #expect(
            try Self.parse(#"{"cmd":"break","add":"c2s:^SET"}"#)
                == ControlCommand(
                    .breakpoint(.add(try Breakpoint(parsing: "c2s:^SET"))), conn: nil, directions: []))
        #expect(
            try Self.parse(#"{"remove":"PING","cmd":"break"}"#)
                == ControlCommand(
                    .breakpoint(.remove(try Breakpoint(parsing: "PING"))), conn: nil, directions: []))
        #expect(try Self.parse("") == nil)
        #expect(try Self.parse(" \t\r") == nil)
    }

    @Test("every bad command is refused with a reason naming what is wrong, escaped")
    func refusals() {
        let cases: [(String, String)] = [
            ("resume", "not a JSON object"),
            ("{\"cmd\":", "not valid JSON"),
            ("[1,2]", "not a JSON object"),
            (#"{"conn":1}"#, "missing \"cmd\""),
            (#"{"cmd":"go\u001b[2J","conn":1}"#, #"unknown command "go\x1b[2J""#),
            (#"{"cmd":7,"conn":1}"#, "unknown command 7"),
            (#"{"cmd":"resume"}"#, "missing \"conn\""),
            (#"{"cmd":"resume","conn":0}"#, "\"conn\" must be a session number"),
            (#"{"cmd":"resume","conn":1.5}"#, "not a number that is not a whole number"),
            (#"{"cmd":"resume","conn":"1"}"#, "not \"1\""),
            (#"{"cmd":"resume","conn":true}"#, "not true"),
            (
                #"{"cmd":"resume","conn":1,"dir":"C2S"}"#,
                "\"dir\" must be \"c2s\" or \"s2c\" (or omitted for both), not \"C2S\""
            ),
            (#"{"cmd":"drop","conn":1,"dir":"both"}"#, "\"dir\" must be \"c2s\" or \"s2c\", not \"both\""),
            (#"{"cmd":"inject","conn":1,"text":"x"}"#, "inject needs \"dir\""),
            (#"{"cmd":"inject","conn":1,"dir":"c2s"}"#, "inject needs the bytes"),
            (#"{"cmd":"inject","conn":1,"dir":"c2s","text":""}"#, "inject needs at least one byte"),
            (#"{"cmd":"inject","conn":1,"dir":"c2s","text":"a","hex":"62"}"#, "not both"),
            (
                #"{"cmd":"inject","conn":1,"dir":"c2s","hex":"6"}"#,
                "\"hex\" must be a string of hex digit pairs"
            ),
            (#"{"cmd":"inject","conn":1,"dir":"c2s","text":"a\\"}"#, "a lone \\ at the end"),
            (#"{"cmd":"kill","conn":1,"dir":"c2s"}"#, "kill takes no \"dir\""),
            (#"{"cmd":"resume","conn":1,"text":"x"}"#, "unknown field \"text\" for resume"),
            (#"{"cmd":"fault","conn":1}"#, "fault needs \"fault\""),
            (#"{"cmd":"fault","conn":1,"fault":"up:latency=1s"}"#, "bad direction \"up\""),
            (#"{"cmd":"fault","conn":1,"dir":"c2s","fault":"s2c:latency=1s"}"#, "give the direction once"),
            (#"{"cmd":"fault","conn":1,"fault":"s2c:latency=fast"}"#, "\"fault\": "),
            (#"{"cmd":"break"}"#, "break needs \"add\" or \"remove\""),
            (#"{"cmd":"break","add":"a","remove":"b"}"#, "not both"),
            (#"{"cmd":"break","conn":1,"add":"a"}"#, "break takes no \"conn\""),
            (#"{"cmd":"break","dir":"c2s","add":"a"}"#, "break takes no \"dir\""),
            (#"{"cmd":"break","add":7}"#, "\"add\" must be a string, not 7"),
            (#"{"cmd":"break","add":"c2s:("}"#, "\"add\": bad breakpoint"),
            (#"{"cmd":"break","remove":"s2c:"}"#, "empty pattern"),
            (#"{"cmd":"break","add":"\u001b[2J"}"#, "\"add\": bad breakpoint \"\\x1b[2J\""),
            (#"{"cmd":"break","add":"a","text":"x"}"#, "unknown field \"text\" for break"),
        ]
        for (line, expected) in cases {
            let reason = Self.reason(line)
            #expect(reason.contains(expected), "\(line) -> \(reason)")
            #expect(!reason.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(reason)")
        }
    }

    @Test("lines are cut at newlines with at most the limit buffered; a longer line is skipped once")
    func lineSplitter() {
        var splitter = LineSplitter(limit: 4)
        var pieces: [LineSplitter.Piece] = []
        splitter.feed(Array("ab\nabcd\nabcde".utf8)) { pieces.append($0) }
        splitter.feed(Array("fgh\n\nxy".utf8)) { pieces.append($0) }
        splitter.finish { pieces.append($0) }
        splitter.finish { pieces.append($0) }
        #expect(
            pieces == [
                .line(Array("ab".utf8), number: 1), .line(Array("abcd".utf8), number: 2), .tooLong(number: 3),
                .line([], number: 4), .line(Array("xy".utf8), number: 5),
            ])
    }

    @Test("drop and replace given before a chunk is held act on the next chunks, in order")
    func dropAndReplaceAhead() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1, paused: true) { events.record($0) }
        let running = Task { await session.run(client: clientSide, server: serverSide) }
        #expect(session.dropNext(.c2s))
        #expect(session.replaceNext(.c2s, with: ByteBuffer(string: "NEW")))
        #expect(session.step(.c2s))
        try await client.write(ByteBuffer(string: "one"))
        try await waitUntil { events.names.contains("drop c2s 3") }
        try await client.write(ByteBuffer(string: "two"))
        #expect(String(buffer: try await nextChunk(server)) == "NEW")
        try await client.write(ByteBuffer(string: "three"))
        #expect(String(buffer: try await nextChunk(server)) == "three")
        try await client.write(ByteBuffer(string: "four"))
        try await waitUntil { events.names.contains("held c2s 4") }
        // Held now: the drop acts on it at once.
        #expect(session.dropNext(.c2s))
        try await waitUntil { events.names.contains("released c2s") }
        session.resume(.c2s)
        session.resume(.s2c)
        #expect(!session.dropNext(.c2s))
        await client.shutdownWrite()
        await server.shutdownWrite()
        _ = await running.value
        #expect(
            events.names.filter { $0.contains("c2s") } == [
                "pause c2s", "step c2s", "drop c2s 3", "edit c2s 3->3", "data c2s", "data c2s", "held c2s 4",
                "drop c2s 4", "released c2s", "resume c2s", "eof c2s", "shutdown c2s",
            ])
    }

    @Test(
        "a paused session whose client failed is ended: read_error, both sides reset, nothing held delivered")
    func sourceFailedWhilePaused() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1, paused: true) { events.record($0) }
        let killed = Flag()
        let ended = Flag()
        let running = Task {
            await session.run(client: clientSide, server: serverSide) {
                killed.set()
                await clientSide.shutdownRead()
                await serverSide.shutdownRead()
                await serverSide.shutdownWrite()
                await clientSide.shutdownWrite()
            }
            ended.set()
        }
        defer { running.cancel() }
        try await client.write(ByteBuffer(string: "held"))
        try await waitUntil { events.names.contains("held c2s 4") }
        session.sourceFailed(.c2s, FlowError("connection reset by peer", errno: 104))
        // Ended by the failure alone (bounded: a session left held would wait forever).
        try await waitUntil { ended.isSet }
        #expect(killed.isSet)
        #expect(try await server.read() == .eof)
        let names = events.names
        #expect(names.contains("read_error c2s"))
        #expect(!names.contains("data c2s"))
        #expect(names.last == "close")
        _ = client
    }

    @Test("a FIN is no failure, and a failure of a flowing direction is left to its tap")
    func sourceFailedWhileFlowing() async throws {
        let events = EventCollector()
        let (client, clientSide) = Pipe.pair()
        let (serverSide, server) = Pipe.pair()
        let session = Session(id: 1, paused: false) { events.record($0) }
        let killed = Flag()
        let running = Task {
            await session.run(client: clientSide, server: serverSide) { killed.set() }
        }
        session.sourceFailed(.c2s, FlowError("connection reset by peer", errno: 104))
        try await client.write(ByteBuffer(string: "flows"))
        #expect(String(buffer: try await nextChunk(server)) == "flows")
        #expect(!killed.isSet)
        #expect(!events.names.contains("read_error c2s"))
        await client.shutdownWrite()
        await server.shutdownWrite()
        _ = await running.value
    }
}

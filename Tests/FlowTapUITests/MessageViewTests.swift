import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore
import TestSupport
import Testing

/// The message view (`m`), the breakpoint prompt (`b`) and what the screen says about decoded
/// sessions, checked on the cell grid.
@Suite(.busyThreads) struct MessageViewTests {
    let now = Fixtures.t0 + 12 * Fixtures.second

    func render(
        _ model: InspectorModel, _ view: ViewState, width: Int = 100, height: Int = 30
    ) -> (CellGrid, [String], ViewState) {
        var view = view
        view.times = false  // the time column has its own tests (TimeColumnTests)
        let (grid, next) = ScreenRenderer.render(model.snapshot(), view, width: width, height: height)
        GridAssertions.checkCells(grid)
        return (grid, GridAssertions.rows(grid), next)
    }

    /// The view after `keys`, each followed by a render (as the UI loop does).
    func press(
        _ keys: [Key], _ model: InspectorModel, _ start: ViewState? = nil, width: Int = 100, height: Int = 30
    ) -> (ViewState, [Command]) {
        var view = start ?? ViewState(ascii: false, live: true, now: now)
        view.times = false
        var commands: [Command] = []
        for key in keys {
            let (next, more) = KeyHandler.handle(view, key, model.snapshot())
            commands += more
            view = ScreenRenderer.render(model.snapshot(), next, width: width, height: height).view
        }
        return (view, commands)
    }

    func row(_ rows: [String], _ prefix: String) -> Int? { rows.firstIndex { $0.hasPrefix(prefix) } }

    @Test func messageListShowsIndexDirectionSummarySizeLatencyAndSlowMarker() throws {
        let model = Fixtures.messages()
        let (view, _) = press([.char("m")], model)
        let (grid, rows, _) = render(model, view)
        let title = try #require(row(rows, " messages  #1"))
        #expect(
            rows[title].hasPrefix(
                " messages  #1  decoder: resp  → 2  ← 2  [in arrival order]  ! = reply ≥ 100 ms"))
        func line(
            _ marker: String, _ arrow: String, _ index: String, _ summary: String, _ size: String,
            _ latency: String
        ) -> String {
            let summaryWidth = 100 - 3 - 32
            return marker + arrow + " " + String(repeating: " ", count: 6 - index.count) + index + "  "
                + summary
                + String(repeating: " ", count: summaryWidth - summary.count) + " "
                + String(repeating: " ", count: 10 - size.count) + size + " "
                + String(repeating: " ", count: 10 - latency.count) + latency
        }
        #expect(rows[title + 1] == line(" ", "→", "0", "SET k v", "27 B", "").trimmingTrailing())
        #expect(rows[title + 2] == line(" ", "→", "1", "GET k", "20 B", "").trimmingTrailing())
        #expect(rows[title + 3] == line(" ", "←", "0", "+OK", "5 B", "0.40 ms"))
        #expect(rows[title + 4] == line(" ", "←", "1", "$1 v", "7 B", "150.0 ms") + " !")
        #expect(grid[98, title + 4].style.role == .error, "the slow marker is drawn as an error")
        #expect(grid[1, title + 1].style.role == .c2s && grid[1, title + 3].style.role == .s2c)
        // The held chunk is the last row, selected while the view follows the newest.
        #expect(
            rows[title + 5].hasPrefix(">→   held  held by breakpoint c2s:SET")
                && rows[title + 5].hasSuffix("27 B"))
        #expect(grid[10, title + 5].style.reverse && grid[10, title + 5].style.role == .held)
        // Its bytes below.
        // Its bytes below, at the offset they will have in the direction (after the 47 sent).
        let bytes = try #require(row(rows, " → c2s held  27 B  held by breakpoint c2s:SET"))
        #expect(
            rows[bytes + 1]
                == " 0000002f  2a 33 0d 0a 24 33 0d 0a  53 45 54 0d 0a 24 31 0d  |*3..$3..SET..$1.|   (held)")
        #expect(view.message == "messages of #1: ↑↓ select, v pairs, Enter shows one in its pane, m back")
        var quiet = view
        quiet.message = nil
        let (_, footer, _) = render(model, quiet)
        #expect(
            footer[29].hasPrefix(" ↑↓ message  v pairs  Enter bytes  m back  j/k session  x hex/text  s step")
        )
    }

    @Test func selectingAMessageShowsItsBytesFromTheHistory() throws {
        let model = Fixtures.messages()
        // Up from the held row: +$1 v, +OK, GET k.
        let (view, _) = press([.char("m"), .up, .up, .up], model)
        #expect(view.messages?.selection == .message(.c2s, index: 1))
        let (_, rows, _) = render(model, view)
        #expect(rows.contains { $0.hasPrefix(">→      1  GET k") })
        let bytes = try #require(row(rows, " → c2s message 1  20 B at offset 27  GET k"))
        // Offsets are the direction's: the GET starts at byte 27 of the chunk that carried both.
        #expect(
            rows[bytes + 1]
                == " 0000001b  2a 32 0d 0a 24 33 0d 0a  47 45 54 0d 0a 24 31 0d  |*2..$3..GET..$1.|")
        #expect(rows[bytes + 2] == " 0000002b  0a 6b 0d 0a                                       |.k..|")
        #expect(!rows[bytes + 3].contains("2a 33"), "the next message's bytes are not shown")
        // Text view of the same.
        var text = view
        text.hex = false
        let (_, textRows, _) = render(model, text)
        #expect(
            Array(textRows[(bytes + 1)...(bytes + 6)])
                == [" *2\\r\\n", " $3\\r\\n", " GET\\r\\n", " $1\\r\\n", " k\\r\\n", ""])
    }

    @Test func messageBytesCutFromTheHistoryAreSaid() throws {
        // A 40-byte history keeps the head (20 B) and the tail: the message at 30..<50 was cut.
        let model = InspectorModel(target: "t", historyLimit: 40)
        model.record(SessionEvent(conn: 1, .open(client: Fixtures.client1, target: Fixtures.target)))
        model.record(SessionEvent(conn: 1, .decoder("lines")))
        for i in 0..<8 {
            let text = String(repeating: Character(String(i)), count: 9) + "\n"
            model.record(SessionEvent(conn: 1, .data(.c2s, offset: i * 10, bytes: Fixtures.buffer(text))))
            model.record(
                SessionEvent(
                    conn: 1,
                    .message(
                        .c2s,
                        DecodedMessage(
                            proto: "lines", index: i, offset: i * 10, bytes: 10, summary: "line \(i)"))))
        }
        // Select message 3 (rows: 0…7; Home then Down three times).
        let (view, _) = press([.char("m"), .home, .down, .down, .down], model)
        #expect(view.messages?.selection == .message(.c2s, index: 3))
        let (_, rows, _) = render(model, view)
        let bytes = try #require(row(rows, " → c2s message 3  10 B at offset 30  line 3"))
        #expect(rows[bytes + 1] == " … c2s bytes 30 B–40 B not kept (history limit)")
        // The newest is kept whole.
        let (last, _) = press([.char("m")], model)
        let (_, lastRows, _) = render(model, last)
        let lastBytes = try #require(row(lastRows, " → c2s message 7  10 B at offset 70  line 7"))
        #expect(lastRows[lastBytes + 1].hasPrefix(" 00000046  37 37 37 37 37 37 37 37  37 0a"))
    }

    @Test func pairsViewPutsEachReplyUnderItsRequest() throws {
        let model = Fixtures.messages()
        let (view, _) = press([.char("m"), .char("v")], model)
        #expect(view.messages?.pairs == true && view.message == "messages: request/reply pairs")
        let (_, rows, _) = render(model, view)
        let title = try #require(row(rows, " messages  #1"))
        #expect(rows[title].contains("[request/reply pairs]"))
        let list = rows[(title + 1)...(title + 5)].map { String($0.prefix(20)) }
        #expect(
            list == [
                " →      0  SET k v  ", "   ←      0  +OK    ", " →      1  GET k    ",
                "   ←      1  $1 v   ",
                ">→   held  held by b",
            ])
        // The selection stays on its message across the toggle.
        let (selected, _) = press([.up, .up, .char("v")], model, view)
        #expect(selected.messages?.selection == .message(.c2s, index: 1))
        #expect(selected.messages?.pairs == false)
    }

    @Test func enterShowsTheMessageInItsPaneHighlighted() throws {
        let model = Fixtures.messages()
        let (view, _) = press([.char("m"), .up, .up, .up, .enter], model)
        #expect(view.messages == nil && view.pane == .c2s && view.followNewest == false)
        #expect(view.search?.match == SearchMatch(direction: .c2s, offset: 27, length: 20))
        #expect(view.message == "c2s message 1: 20 B at offset 27")
        let (grid, rows, _) = render(model, view)
        let y = try #require(row(rows, " 00000010  0a 6b 0d 0a 24 31 0d 0a  76 0d 0a 2a 32 0d 0a 24"))
        // Byte 27 is the 12th of the line at 16: `2a`.
        #expect(grid[11 + 11 * 3 + 1, y].style.role == .match)
        #expect(grid[11 + 10 * 3 + 1, y].style.role != .match)
    }

    @Test func keysMoveTheSelectionAndFollowTheNewestAgain() {
        let model = Fixtures.messages()
        var (view, _) = press([.char("m"), .home], model)
        #expect(view.messages?.selection == .message(.c2s, index: 0))
        (view, _) = press([.up], model, view)
        #expect(view.messages?.selection == .message(.c2s, index: 0), "stays on the first row")
        (view, _) = press([.pageDown], model, view)
        #expect(view.messages?.selection == nil, "down to the last row follows the newest")
        (view, _) = press([.up, .end], model, view)
        #expect(view.messages?.selection == nil)
        // j/k still select sessions; a new session resets the selection.
        (view, _) = press([.home, .char("k")], model, view)
        #expect(view.messages?.selection == .message(.c2s, index: 0), "one session: nothing to move to")
        // m and Esc leave; Esc with help open closes the help first.
        var help = view
        help.help = true
        #expect(press([.escape], model, help).0.messages != nil)
        #expect(press([.escape], model, view).0.messages == nil)
        #expect(press([.char("m")], model, view).0.messages == nil)
    }

    @Test func stepOnAHeldRowStepsThatDirection() {
        let model = Fixtures.messages()
        // The s2c pane has the keys, but the selected row is c2s's held message.
        var start = ViewState(ascii: false, live: true, now: now)
        start.pane = .s2c
        let (stepped, commands) = press([.char("m"), .char("s")], model, start)
        #expect(commands == [.step(session: 1, direction: .c2s)])
        #expect(stepped.message == "stepped 1 message of client → server #1 (it stays paused)")
        // Without the message view, the focused c2s pane steps the breakpoint's hold (not paused by the user).
        let (plainView, plain) = press([.char("s")], model)
        #expect(plain == [.step(session: 1, direction: .c2s)])
        #expect(plainView.message == "stepped 1 message of client → server #1 (it stays paused)")
        // Not decoded: a step sends a chunk, and says so.
        let (chunk, _) = press([.tab, .char("s")], Fixtures.redis())
        #expect(chunk.message == "stepped 1 chunk of server → client #2 (it stays paused)")
        let (offline, none) = press(
            [.char("m"), .char("s")], model, ViewState(ascii: false, live: false, now: now))
        #expect(none.isEmpty && offline.message == KeyHandler.offlineMessage)
    }

    @Test func paneTitlesSayWhatIsHeldAndByWhichBreakpoint() throws {
        let model = Fixtures.messages()
        let (grid, rows, _) = render(model, ViewState(ascii: false, live: true, now: now), width: 200)
        let c2s = try #require(row(rows, " client → server  #1"))
        #expect(rows[c2s].contains("held by breakpoint c2s:SET: 1 message (27 B)"))
        #expect(rows[c2s].contains("2 messages"))
        #expect(grid[1, c2s].style.role == .held)
        #expect(rows[2].contains("open held"), "the session list says the direction holds a chunk")
        var conversation = ViewState(ascii: false, live: true, now: now)
        conversation.pane = .conversation
        let (_, conv, _) = render(model, conversation, width: 200)
        #expect(conv.contains { $0.contains("held by breakpoint c2s:SET") && $0.contains("decoder: resp") })
    }

    @Test func decodeErrorsAndCutMessagesAreShown() throws {
        let model = InspectorModel(target: "t", messageLimit: 2)
        model.record(SessionEvent(conn: 1, .open(client: Fixtures.client1, target: Fixtures.target)))
        model.record(SessionEvent(conn: 1, .decoder("resp")))
        for i in 0..<5 {
            model.record(SessionEvent(conn: 1, .message(.c2s, Fixtures.resp(i, i, 1, "PING \(i)"))))
        }
        model.record(
            SessionEvent(conn: 1, .decodeError(.s2c, proto: "resp", offset: 12, error: "bad type byte \\x01"))
        )
        var view = ViewState(ascii: false, live: true, now: now)
        let (_, plain, _) = render(model, view)
        let s2c = try #require(row(plain, " server → client  #1"))
        #expect(plain[s2c].contains("decode error at 12: bad type byte \\x01"))
        view.messages = MessageView()
        let (grid, rows, _) = render(model, view)
        let title = try #require(row(rows, " messages  #1"))
        #expect(
            rows[title + 1]
                == " decode error in s2c at offset 12 (resp): bad type byte \\x01; the rest of s2c went on undecoded"
        )
        #expect(grid[2, title + 1].style.role == .error)
        #expect(rows[title + 2] == " … 3 older messages not kept (the newest 2 are)")
        #expect(rows[title + 3].hasPrefix(" →      3  PING 3"))
        #expect(rows[title + 4].hasPrefix(">→      4  PING 4"))
    }

    @Test func sessionsWithoutMessagesSaySo() throws {
        let none = Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)), (1, 1, .decoder("none")),
        ])
        var view = ViewState(ascii: false, live: true, now: now)
        view.messages = MessageView()
        let (_, rows, _) = render(none, view)
        let title = try #require(row(rows, " messages  #1  decoder: none"))
        #expect(rows[title + 1].hasPrefix(" no messages: this session is not decoded"))
        // Not decoded (yet), but holding a chunk: the held row is there.
        let (_, held, _) = render(Fixtures.redis(), view)
        let heldTitle = try #require(row(held, " messages  #2  no decoder yet  → 0  ← 0"))
        #expect(
            held[heldTitle + 1].hasPrefix(">←   held  held: paused") && held[heldTitle + 1].hasSuffix("7 B"))
        let fresh = Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 1, .data(.c2s, offset: 0, bytes: Fixtures.buffer("x"))),
        ])
        let (_, waiting, _) = render(fresh, view)
        let waitingTitle = try #require(row(waiting, " messages  #1  no decoder yet"))
        #expect(waiting[waitingTitle + 1] == " no messages yet")
    }

    @Test func breakpointPromptAddsRemovesAndExplainsErrors() {
        let model = Fixtures.messages()
        var start = ViewState(ascii: false, live: true, now: now)
        start.breakpoints = []
        var (view, commands) = press([.char("b")] + "c2s:(".map { .char($0) } + [.enter], model, start)
        #expect(commands.isEmpty && view.prompt == Prompt(.breakpoint, text: "c2s:("))
        #expect(
            view.messageIsError
                && view.message?.hasPrefix("bad breakpoint \"c2s:(\": not a regular expression") == true)
        var (grid, rows, _) = render(model, view)
        #expect(rows[29].hasPrefix(" break [c2s:|s2c:]REGEX: c2s:(_"))
        #expect(rows[28].hasPrefix(" bad breakpoint"), "\(rows)")
        #expect(grid[2, 28].style.role == .error)
        // The prompt owns every key: q, m and s are typed, not acted on.
        (view, commands) = press([.backspace, .char("q"), .char("m"), .char("s")], model, view)
        #expect(view.prompt?.text == "c2s:qms" && commands.isEmpty && view.messages == nil)
        (view, commands) = press(
            Array(repeating: Key.backspace, count: 3) + [.char("S"), .char("E"), .char("T"), .enter], model,
            view)
        // Typing "c2s:" + "SET" after the backspaces.
        #expect(view.prompt == nil)
        #expect(commands == [.toggleBreakpoint(try! Breakpoint(parsing: "c2s:SET"))])
        #expect(view.breakpoints == ["c2s:SET"])
        #expect(view.message == "breakpoint c2s:SET set: c2s messages that match are held in every session")
        (grid, rows, _) = render(model, view)
        #expect(rows[0].contains("break: c2s:SET"))
        // The same again removes it.
        (view, commands) = press([.char("b")] + "c2s:SET".map { .char($0) } + [.enter], model, view)
        #expect(commands == [.toggleBreakpoint(try! Breakpoint(parsing: "c2s:SET"))])
        #expect(view.breakpoints == [] && view.message == "breakpoint c2s:SET removed")
        // Esc cancels; an empty line does nothing.
        (view, commands) = press([.char("b"), .char("x"), .escape, .char("b"), .enter], model, view)
        #expect(commands.isEmpty && view.prompt == nil)
        // Offline, and without the engine's breakpoints, b says why.
        #expect(
            press([.char("b")], model, ViewState(live: false, now: now)).0.message
                == KeyHandler.offlineMessage)
        #expect(press([.char("b")], model).0.message == "breakpoints need the proxy's engine")
    }

    @Test func helpListsTheMessageKeysAndTheBreakpoints() {
        var view = ViewState(ascii: false, live: true, now: now)
        view.help = true
        view.breakpoints = ["c2s:SET", "ERR"]
        let (_, rows, _) = render(Fixtures.messages(), view, width: 100, height: 40)
        let text = rows.joined(separator: "\n")
        for needle in [
            "m              messages of the session", "v            request/reply pairs",
            "!            marks a reply that came ≥ 100 ms after its request",
            "b              break [c2s:|s2c:]REGEX",
            "breakpoints:   c2s:SET, ERR", "step one message of a paused direction",
        ] {
            #expect(text.contains(needle), "\(needle)")
        }
    }

    @Test func everyMessageScreenIsSafeAndFits() {
        // A hostile summary (escapes, wide characters) in every layout, ASCII or not.
        let model = Fixtures.model(
            Fixtures.messageEvents + [
                (1, 300, .message(.s2c, Fixtures.resp(2, 12, 3, "-ERR \u{1b}[31m 表表 \u{7f}", request: 1))),
                (1, 301, .decodeError(.c2s, proto: "resp", offset: 47, error: "bad \u{1b}]0;x\u{7}")),
            ])
        for pairs in [false, true] {
            for ascii in [true, false] {
                for (width, height) in [(40, 10), (40, 12), (80, 24), (200, 60)] {
                    var view = ViewState(ascii: ascii, live: true, now: now)
                    view.messages = MessageView(pairs: pairs)
                    view.hex = width != 80
                    let (_, rows, _) = render(model, view, width: width, height: height)
                    #expect(rows.allSatisfy { !$0.contains("\u{1b}") })
                    if width == 200 {
                        #expect(
                            rows.contains { $0.contains("-ERR \\x1b[31m") || $0.contains("-ERR \\u{1b}[31m") }
                        )
                    }
                }
            }
        }
    }
}

extension String {
    fileprivate func trimmingTrailing() -> String {
        String(reversed().drop(while: { $0 == " " }).reversed())
    }
}

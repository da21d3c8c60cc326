import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import Testing

@Suite struct KeyHandlerTests {
    let snapshot = Fixtures.redis().snapshot()

    func press(_ keys: [Key], _ view: ViewState = ViewState(now: Fixtures.t0)) -> (ViewState, [Command]) {
        Fixtures.press(keys, view, snapshot)
    }

    @Test func selectionFollowsTheNewestUntilTheUserMoves() {
        let start = ViewState()
        #expect(start.session(in: snapshot)?.id == 2)
        let (up, _) = press([.up])
        #expect(up.selected == 1 && !up.followNewest)
        #expect(up.session(in: snapshot)?.id == 1)
        #expect(press([.char("k")]).0.selected == 1)
        #expect(press([.up, .up]).0.selected == 1)
        #expect(press([.up, .down]).0.selected == 2)
        #expect(press([.up, .char("j")]).0.selected == 2)
        let (down, _) = press([.down])
        #expect(down.selected == 2 && !down.followNewest)
    }

    @Test func tabCyclesThePanes() {
        #expect(ViewState().pane == .c2s)
        #expect(press([.tab]).0.pane == .s2c)
        #expect(press([.tab, .tab]).0.pane == .conversation)
        #expect(press([.tab, .tab, .tab]).0.pane == .c2s)
        #expect(press([.backTab]).0.pane == .conversation)
    }

    @Test func pauseResumeAndStep() {
        // Session 2: c2s running, s2c paused.
        #expect(press([.char("p")]).1 == [.pause(session: 2, direction: .c2s)])
        #expect(press([.tab, .char("p")]).1 == [.resume(session: 2, direction: .s2c)])
        #expect(
            press([.char("P")]).1 == [
                .resume(session: 2, direction: .c2s), .resume(session: 2, direction: .s2c),
            ])
        #expect(
            press([.up, .char("P")]).1 == [
                .pause(session: 1, direction: .c2s), .pause(session: 1, direction: .s2c),
            ])
        #expect(press([.tab, .char("s")]).1 == [.step(session: 2, direction: .s2c)])
        #expect(press([.tab, .char(" ")]).1 == [.step(session: 2, direction: .s2c)])
        #expect(press([.tab, .tab, .char("s")]).1 == [.step(session: 2, direction: .s2c)])
        let (view, commands) = press([.char("s")])
        #expect(commands.isEmpty)
        #expect(view.message == "client → server is not paused (p pauses it)")
        #expect(press([.char("r")]).1 == [.resumeAll])
    }

    @Test func killAndPassFIN() {
        #expect(press([.char("K")]).1 == [.kill(session: 2)])
        #expect(press([.char("h")]).0.message == "client → server is shut already")
        #expect(press([.tab, .char("h")]).1 == [.passFIN(session: 2, direction: .s2c)])
        let (view, commands) = press([.tab, .tab, .char("h")])
        #expect(commands.isEmpty && view.message == "h: focus one direction first (tab)")
    }

    @Test func endedSessionsAndOfflineRefuseSessionKeys() {
        let model = Fixtures.redis()
        model.record(SessionEvent(conn: 2, .close(c2s: Stats(), s2c: Stats())))
        let (ended, none) = KeyHandler.handle(ViewState(), .char("p"), model.snapshot())
        #expect(none.isEmpty && ended.message == "session #2 has ended")
        for key in ["p", "P", "s", " ", "r", "K", "h"].map({ Key.char(Character($0)) }) {
            let (view, commands) = press([key], ViewState(live: false))
            #expect(commands.isEmpty)
            #expect(view.message == "offline: no live session")
        }
        let (empty, nothing) = KeyHandler.handle(ViewState(), .char("p"), InspectorSnapshot())
        #expect(nothing.isEmpty && empty.message == "no session yet")
    }

    @Test func viewKeys() {
        #expect(ViewState().hex)
        #expect(!press([.char("x")]).0.hex)
        #expect(press([.char("x"), .char("x")]).0.hex)
        let (frozen, _) = press([.char("f")])
        #expect(frozen.scrollRequest == .lines(0) && frozen.message == "follow off")
        var anchored = ViewState()
        anchored.anchor = ScrollAnchor(direction: .c2s, offset: 0, line: 3)
        let (follow, _) = press([.char("f")], anchored)
        #expect(follow.following && follow.message == "follow on")
        #expect(press([.pageUp]).0.scrollRequest == .lines(-9))
        #expect(press([.pageDown]).0.scrollRequest == .lines(9))
        #expect(press([.home]).0.scrollRequest == .top)
        #expect(press([.end], anchored).0.following)
        #expect(press([.char("?")]).0.help)
        #expect(!press([.char("?"), .char("?")]).0.help)
        #expect(!press([.char("?"), .escape]).0.help)
        // Session 2 holds a chunk: q asks first.
        #expect(press([.char("q")]).1.isEmpty && press([.char("q")]).0.prompt == Prompt(.quit(held: 1)))
        #expect(press([.char("q"), .char("y")]).1 == [.quit])
        #expect(press([.char("z")]) == (ViewState(now: Fixtures.t0), []))
    }

    @Test func messagesLastOneKeyAndSurviveResizing() {
        let (view, _) = press([.char("s"), .char("x")])
        #expect(view.message == nil)
        let (resized, _) = press([.char("s"), .resize])
        #expect(resized.message == "client → server is not paused (p pauses it)")
        let (prompt, _) = press([.char("w"), .resize])
        #expect(prompt.prompt?.purpose == .save)
    }

    @Test func search() {
        var (view, _) = press([.char("/")])
        #expect(view.prompt == Prompt(.search))
        // Typing goes to the prompt, not to the keys.
        (view, _) = press([
            .char("/"), .char("P"), .char("x"), .backspace, .char("I"), .char("N"), .char("G"),
        ])
        #expect(view.prompt?.text == "PING" && view.hex)
        (view, _) = press([.enter], view)
        #expect(view.prompt == nil)
        #expect(
            view.search
                == SearchState(
                    query: "PING", pattern: Array("PING".utf8),
                    match: SearchMatch(direction: .c2s, offset: 8, length: 4)))
        #expect(view.scrollRequest == .match)
        #expect(view.message == "found at c2s offset 8")
        (view, _) = press([.char("n")], view)
        #expect(view.search?.match?.offset == 8)
        #expect(view.message == "search wrapped: c2s offset 8")

        let (hex, _) = press([.char("/")] + "x 0d0a".map { .char($0) } + [.enter, .char("n")])
        #expect(hex.search?.pattern == [0x0d, 0x0a])
        #expect(hex.search?.match == SearchMatch(direction: .c2s, offset: 6, length: 2))
        let (escaped, _) = press([.char("/")] + "\\r\\n$4".map { .char($0) } + [.enter])
        #expect(escaped.search?.match == SearchMatch(direction: .c2s, offset: 2, length: 4))
        let (conversation, _) = press([.tab, .tab, .char("/")] + "PONG".map { .char($0) } + [.enter])
        #expect(conversation.search?.match == SearchMatch(direction: .s2c, offset: 1, length: 4))

        let (missing, _) = press([.char("/"), .char("Z"), .enter])
        #expect(missing.message == "not found in any session: Z" && missing.messageIsError)
        let (bad, _) = press([.char("/")] + "x 0d0".map { .char($0) } + [.enter])
        #expect(bad.message == "hex search: odd number of hex digits" && bad.messageIsError)
        let (cancelled, _) = press([.char("/"), .char("a"), .escape])
        #expect(cancelled.prompt == nil && cancelled.search == nil)
        #expect(press([.char("n")]).0.message == "no search yet: press / first")
    }

    @Test func searchSyntax() throws {
        #expect(try SearchPattern.parse("x 0d 0a").get() == [13, 10])
        #expect(try SearchPattern.parse("x0d").get() == Array("x0d".utf8))
        #expect(try SearchPattern.parse("a\\x00\\\\b\\t").get() == [0x61, 0, 0x5c, 0x62, 9])
        #expect(try SearchPattern.parse("é").get() == [0xc3, 0xa9])
        #expect(throws: SearchSyntaxError.self) { try SearchPattern.parse("x zz").get() }
        #expect(throws: SearchSyntaxError.self) { try SearchPattern.parse("\\q").get() }
        #expect(throws: SearchSyntaxError.self) { try SearchPattern.parse("\\x4").get() }
    }

    @Test func saveProposesANameAndAsks() throws {
        let (view, none) = press([.char("w")])
        #expect(none.isEmpty)
        let name = try #require(view.prompt?.text)
        #expect(view.prompt?.purpose == .save)
        #expect(name == KeyHandler.proposedFileName(at: Fixtures.t0))
        #expect(name.wholeMatch(of: /flowtap-\d{8}-\d{6}\.pcapng/) != nil)
        #expect(press([.enter], view).1 == [.save(path: name, replacing: false)])
        let (_, typed) = press(
            [.char("w")] + Array(repeating: Key.backspace, count: 40) + "a.pcapng".map { .char($0) } + [
                .enter
            ])
        #expect(typed == [.save(path: "a.pcapng", replacing: false)])
        let (cancelled, nothing) = press([.char("w"), .escape])
        #expect(nothing.isEmpty && cancelled.prompt == nil)
        #expect(press([.char("w"), .char("q")]).1.isEmpty)
    }

    @Test func overwriteNeedsAYes() {
        var asking = ViewState(now: Fixtures.t0)
        asking.prompt = Prompt(.overwrite(path: "a.pcapng"))
        #expect(press([.char("y")], asking).1 == [.save(path: "a.pcapng", replacing: true)])
        #expect(press([.char("Y")], asking).1 == [.save(path: "a.pcapng", replacing: true)])
        for key in [Key.char("n"), .enter] {
            let (view, commands) = press([key], asking)
            #expect(commands.isEmpty && view.prompt == nil, "\(key)")
            #expect(view.message == "not saved: a.pcapng exists", "\(key)")
        }
        // Any other key is swallowed: the question stays until it is answered.
        for key in [Key.char("q"), .char("w"), .char("d")] {
            let (view, commands) = press([key], asking)
            #expect(commands.isEmpty && view.prompt == asking.prompt, "\(key)")
        }
        let (escaped, none) = press([.escape], asking)
        #expect(none.isEmpty && escaped.prompt == nil)
    }
}

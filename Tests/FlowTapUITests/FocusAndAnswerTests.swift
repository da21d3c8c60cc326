import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore
import Testing

/// Issue 14, Deliver 1 and 5 as pure key handling and rendering: the selection follows new
/// sessions only while the session shown holds nothing and the user has not acted; a key acts on
/// the session drawn; a refused prompt swallows keys; every action answers in the footer.
@Suite struct FocusAndAnswerTests {
    /// Session 1 holds a SET in client → server (paused); nothing else yet.
    static func holdingOne() -> InspectorModel {
        Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 1, .pause(.c2s)),
            (1, 2, .pause(.s2c)),
            (1, 3, .held(.c2s, HeldChunk(number: 1, bytes: Fixtures.buffer(Fixtures.setCommand)))),
        ])
    }

    static func openSecond(_ model: InspectorModel) {
        model.record(
            SessionEvent(
                conn: 2, .open(client: Fixtures.client2, target: Fixtures.target), time: Fixtures.t0 + 5))
        model.record(SessionEvent(conn: 2, .pause(.c2s), time: Fixtures.t0 + 6))
        model.record(
            SessionEvent(
                conn: 2, .held(.c2s, HeldChunk(number: 1, bytes: Fixtures.buffer("*1\r\n$4\r\nPING\r\n"))),
                time: Fixtures.t0 + 7))
    }

    func render(_ model: InspectorModel, _ view: ViewState) -> (String, ViewState) {
        let (grid, next) = ScreenRenderer.render(model.snapshot(), view, width: 100, height: 30)
        return (grid.text, next)
    }

    @Test func aHeldChunkPinsTheSelectionAndTheNewSessionIsAnnounced() {
        let model = Self.holdingOne()
        var (_, view) = render(model, ViewState(now: Fixtures.t0))
        #expect(view.selected == 1)
        Self.openSecond(model)
        // A key pressed before the next frame acts on #1, the session drawn.
        let (dropped, commands) = KeyHandler.handle(view, .char("d"), model.snapshot())
        #expect(commands == [.dropHeld(session: 1, direction: .c2s, hold: 1)])
        #expect(
            dropped.message
                == "dropped the held 27 B of client → server #1: never sent (the next chunk is held)")
        // The next frame keeps #1 (it holds the SET) and announces #2.
        let text: String
        (text, view) = render(model, view)
        #expect(view.selected == 1)
        #expect(text.contains("#2 new: G goes to it"))
        #expect(
            KeyHandler.handle(view, .char("d"), model.snapshot()).1 == [
                .dropHeld(session: 1, direction: .c2s, hold: 1)
            ])
        // G goes to #2; the notice is gone.
        let (moved, _) = KeyHandler.handle(view, .char("G"), model.snapshot())
        #expect(moved.selected == 2 && moved.followNewest)
        #expect(
            KeyHandler.handle(moved, .char("d"), model.snapshot()).1 == [
                .dropHeld(session: 2, direction: .c2s, hold: 1)
            ])
        #expect(!render(model, moved).0.contains("new: G"))
    }

    @Test func withNothingHeldAndNoKeyTheSelectionFollows() {
        let model = Fixtures.model([(1, 0, .open(client: Fixtures.client1, target: Fixtures.target))])
        var (_, view) = render(model, ViewState(now: Fixtures.t0))
        #expect(view.selected == 1)
        Self.openSecond(model)
        #expect(KeyHandler.handle(view, .char("K"), model.snapshot()).1 == [.kill(session: 1)])
        let text: String
        (text, view) = render(model, view)
        #expect(view.selected == 2 && !text.contains("new: G"))
    }

    @Test func aKeyThatActsPinsTheSelection() {
        let model = Fixtures.model([(1, 0, .open(client: Fixtures.client1, target: Fixtures.target))])
        var (_, view) = render(model, ViewState(now: Fixtures.t0))
        for key in [Key.tab, .char("p"), .char("/"), .char("w"), .char("h")] {
            let (acted, _) = KeyHandler.handle(view, key, model.snapshot())
            #expect(!acted.followNewest && acted.selected == 1, "\(key)")
        }
        view = KeyHandler.handle(view, .tab, model.snapshot()).0
        Self.openSecond(model)
        let text: String
        (text, view) = render(model, view)
        #expect(view.selected == 1 && text.contains("#2 new: G goes to it"))
    }

    @Test func aRefusedPromptSwallowsEveryKeyUntilEnterOrEsc() {
        let model = Fixtures.redis()
        model.record(SessionEvent(conn: 2, .close(c2s: Stats(), s2c: Stats())))
        let snapshot = model.snapshot()
        let (view, commands) = Fixtures.press(
            [.char("t")] + "+bandwidth=fast".map { .char($0) }, ViewState(now: Fixtures.t0), snapshot)
        #expect(commands.isEmpty)
        #expect(view.prompt == Prompt(.refused(reason: "session #2 has ended")))
        #expect(view.message == "session #2 has ended" && view.messageIsError)
        let (closed, none) = Fixtures.press([.enter], view, snapshot)
        #expect(none.isEmpty && closed.prompt == nil && closed.message == nil)
        #expect(Fixtures.press([.escape], view, snapshot).0.prompt == nil)
        // e with nothing held, and b without the engine's breakpoints, refuse the same way.
        let live = Fixtures.redis().snapshot()
        let (edit, _) = Fixtures.press([.char("e"), .char("d")], ViewState(now: Fixtures.t0), live)
        #expect(edit.prompt == Prompt(.refused(reason: "nothing held in client → server (p pauses it)")))
        let (breakpoint, _) = Fixtures.press([.char("b"), .char("w")], ViewState(now: Fixtures.t0), live)
        #expect(breakpoint.prompt == Prompt(.refused(reason: "breakpoints need the proxy's engine")))
    }

    @Test func quittingWithAHeldChunkAsksFirst() {
        let snapshot = Fixtures.redis().snapshot()  // #2 holds +PONG
        let (asking, none) = KeyHandler.handle(ViewState(), .char("q"), snapshot)
        #expect(none.isEmpty && asking.prompt == Prompt(.quit(held: 1)))
        let (grid, _) = ScreenRenderer.render(snapshot, asking, width: 100, height: 30)
        #expect(grid.text.contains("1 held chunk will never be sent. Quit? (y/n)"))
        #expect(Fixtures.press([.char("x"), .char("y")], asking, snapshot).1 == [.quit])
        let (stayed, nothing) = Fixtures.press([.char("n")], asking, snapshot)
        #expect(
            nothing.isEmpty && stayed.prompt == nil && stayed.message == "not quit: the held chunks stay held"
        )
        // Nothing held (or offline): q quits at once.
        let quiet = Fixtures.model([(1, 0, .open(client: Fixtures.client1, target: Fixtures.target))])
        #expect(KeyHandler.handle(ViewState(), .char("q"), quiet.snapshot()).1 == [.quit])
        #expect(KeyHandler.handle(ViewState(live: false), .char("q"), snapshot).1 == [.quit])
    }

    @Test func everyActionAnswers() {
        let snapshot = Fixtures.redis().snapshot()
        func message(_ keys: [Key], _ view: ViewState = ViewState(now: Fixtures.t0)) -> String? {
            Fixtures.press(keys, view, snapshot).0.message
        }
        #expect(message([.char("p")]) == "paused client → server #2")
        #expect(message([.tab, .char("p")]) == "resumed server → client #2")
        #expect(message([.char("K")]) == "killed #2: both sides reset")
        #expect(message([.char("h")]) == "client → server is shut already")
        #expect(message([.tab, .char("h")]) == "FIN passed on in server → client #2 (its peer reads EOF)")
        #expect(
            message([.tab, .char("d")])
                == "dropped the held 7 B of server → client #2: never sent (the next chunk is held)")
        #expect(message([.tab, .char("s")]) == "stepped 1 chunk of server → client #2 (it stays paused)")
        // An edit that changes nothing is no edit.
        let (open, _) = Fixtures.press([.tab, .char("e")], ViewState(now: Fixtures.t0), snapshot)
        let (unchanged, commands) = Fixtures.press([.enter], open, snapshot)
        #expect(commands.isEmpty && unchanged.editor == nil)
        #expect(
            unchanged.message
                == "unchanged: the held chunk of server → client #2 stays as it was (s sends it)")
        // A paused direction with nothing held yet: the step waits for the next chunk.
        let paused = Fixtures.model(Fixtures.redisEvents + [(1, 9100, .pause(.c2s))]).snapshot()
        #expect(
            Fixtures.press([.up, .char("s")], ViewState(now: Fixtures.t0), paused).0.message
                == "nothing held yet: the next chunk of client → server #1 goes on when it comes")
    }

    @Test func searchGoesOnInTheOtherDirectionThenOtherSessionsAndChunksNotSent() {
        let snapshot = Fixtures.redis().snapshot()  // #2 focused, client → server
        func search(_ text: String, _ view: ViewState = ViewState(now: Fixtures.t0)) -> ViewState {
            Fixtures.press([.char("/")] + text.map { .char($0) } + [.enter], view, snapshot).0
        }
        let pong = search("PONG")
        #expect(pong.pane == .s2c && pong.selected == 2)
        #expect(pong.search?.match == SearchMatch(direction: .s2c, offset: 1, length: 4))
        #expect(pong.message == "found at s2c offset 1 (the other direction)")
        let other = search("bbbb")
        #expect(other.selected == 1 && other.pane == .s2c && !other.followNewest)
        #expect(other.message == "found at s2c offset 0 of #1")
        // n goes on in #1's server → client; N goes back.
        let (again, _) = Fixtures.press([.char("n")], other, snapshot)
        #expect(again.search?.match?.offset == 1 && again.selected == 1)
        let (back, _) = Fixtures.press([.char("N")], again, snapshot)
        #expect(back.search?.match?.offset == 0 && back.selected == 1)
        // From #1, a PING is found in #2 (the sessions wrap around).
        var first = ViewState(now: Fixtures.t0)
        first.selected = 1
        let fromFirst = search("PING", first)
        #expect(fromFirst.selected == 2 && fromFirst.pane == .c2s)
        #expect(fromFirst.search?.match == SearchMatch(direction: .c2s, offset: 8, length: 4))

        // A dropped chunk and an edit's original are searched too, and drawn highlighted.
        let mixed = HexLayoutTests.mixed()
        let (dropped, _) = Fixtures.press(
            [.char("/")] + "DEBUG".map { .char($0) } + [.enter], ViewState(now: Fixtures.t0), mixed.snapshot()
        )
        #expect(dropped.search?.match == SearchMatch(direction: .c2s, offset: 39, length: 5, unsent: true))
        #expect(dropped.message == "found at c2s offset 39, in a chunk not sent")
        let (red, _) = Fixtures.press(
            [.char("/")] + "red".map { .char($0) } + [.enter], ViewState(now: Fixtures.t0), mixed.snapshot())
        #expect(red.search?.match == SearchMatch(direction: .c2s, offset: 33, length: 3, unsent: true))
        let (grid, _) = ScreenRenderer.render(mixed.snapshot(), dropped, width: 100, height: 40)
        let highlighted = (0..<grid.height).flatMap { y in
            (0..<grid.width).filter { grid[$0, y].style.role == .match }.map { String(grid[$0, y].character) }
        }.joined()
        #expect(
            highlighted == "4445425547DEBUG", "the dropped chunk's bytes, in hex and text: \(highlighted)")
    }

    @Test func aClosedSessionsEmptyPaneSaysItHasEnded() {
        let model = Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 5, .close(c2s: Stats(), s2c: Stats())),
        ])
        let text = render(model, ViewState(now: Fixtures.t0)).0
        #expect(text.contains(" no bytes: the session has ended") && !text.contains("no bytes yet"))
    }

    @Test func interceptPausesEveryLiveSessionAndNewOnes() {
        let snapshot = Fixtures.redis().snapshot()  // #1 open and flowing; #2 s2c paused, c2s shut
        var view = ViewState(now: Fixtures.t0)
        #expect(
            KeyHandler.handle(view, .char("I"), snapshot).0.message
                == "intercepting new sessions needs the proxy's engine")
        view.pausingNew = false
        let (on, commands) = KeyHandler.handle(view, .char("I"), snapshot)
        #expect(
            commands == [
                .pauseNewSessions(true), .pause(session: 1, direction: .c2s),
                .pause(session: 1, direction: .s2c),
                .pause(session: 2, direction: .c2s),
            ])
        #expect(
            on.message
                == "intercept on: 2 live sessions paused, new sessions start paused (I: off, r resumes)")
        view.pausingNew = true
        #expect(KeyHandler.handle(view, .char("I"), snapshot).1 == [.pauseNewSessions(false)])
        let (grid, _) = ScreenRenderer.render(snapshot, view, width: 100, height: 30)
        #expect(grid.line(0).contains("new sessions paused"))
    }

    @Test func theListFilterShowsMatchingSessions() {
        let snapshot = Fixtures.redis().snapshot()  // #1 open both ways; #2 c2s shut, s2c paused
        func filtered(_ text: String, _ view: ViewState = ViewState(now: Fixtures.t0)) -> ViewState {
            Fixtures.press([.char("F")] + text.map { .char($0) } + [.enter], view, snapshot).0
        }
        var first = ViewState(now: Fixtures.t0)
        first.selected = 1
        let paused = filtered("PAUSED", first)
        #expect(paused.filter == "PAUSED" && paused.selected == 2)
        #expect(paused.message == "1 of 2 sessions match \"PAUSED\"")
        // Up/Down move within the list shown.
        #expect(Fixtures.press([.up], paused, snapshot).0.selected == 2)
        let (grid, _) = ScreenRenderer.render(snapshot, paused, width: 100, height: 30)
        let rows = GridAssertions.rows(grid)
        #expect(rows[0].contains("filter \"PAUSED\": 1 of 2"))
        #expect(
            rows.contains { $0.hasPrefix(">2  127.0.0.1:53430") } && !rows.contains { $0.hasPrefix(" 1  ") })
        #expect(filtered("53422").selected == 1)
        let none = filtered("closed")
        #expect(none.message == "0 of 2 sessions match \"closed\"" && none.messageIsError)
        let (empty, _) = ScreenRenderer.render(snapshot, none, width: 100, height: 30)
        #expect(empty.text.contains("no session matches the filter"))
        // F opens on the filter in force: erased, Enter lists all.
        let off = Fixtures.press(
            [.char("F")] + Array(repeating: .backspace, count: 6) + [.enter], paused, snapshot
        ).0
        #expect(off.filter == nil && off.message == "filter off: every session listed")
    }
}

import FlowCore
import FlowEvents
import FlowFaults
import FlowTapKit
import FlowTapUI
import Testing

/// `t`: the fault menu of the focused direction, through ``KeyHandler`` and ``FaultMenu``.
@Suite struct FaultMenuTests {
    /// The §7 fixture with server → client of session 2 under `latency=200ms` then `slice=1`.
    let snapshot: InspectorSnapshot = {
        let model = Fixtures.redis()
        model.record(SessionEvent(conn: 2, .fault(.s2c, "latency=200ms")))
        model.record(SessionEvent(conn: 2, .fault(.s2c, "slice=1")))
        return model.snapshot()
    }()
    let active: [Fault] = [.latency(.milliseconds(200)), .slice(bytes: 1)]

    func press(_ keys: [Key], _ view: ViewState = ViewState(now: Fixtures.t0)) -> (ViewState, [Command]) {
        Fixtures.press(keys, view, snapshot)
    }

    /// Tab to server → client, `t`, `text`, then Enter unless `enter` is false.
    func menu(_ text: String, enter: Bool = true) -> (ViewState, [Command]) {
        press([.tab, .char("t")] + text.map { .char($0) } + (enter ? [.enter] : []))
    }

    @Test func opensOnTheFocusedDirectionWithItsActiveFaults() {
        let (view, commands) = press([.tab, .char("t")])
        #expect(commands.isEmpty)
        #expect(view.prompt == Prompt(.faults(session: 2, direction: .s2c, active: active)))
        let (c2s, _) = press([.char("t")])
        #expect(c2s.prompt == Prompt(.faults(session: 2, direction: .c2s, active: [])))
        // Keys go to the line while it is open.
        let (typing, none) = menu("-1 p", enter: false)
        #expect(none.isEmpty && typing.prompt?.text == "-1 p")
    }

    @Test func addRemoveChangeAndClear() {
        #expect(
            menu("+bandwidth=64KiB/s").1 == [
                .setFaults(session: 2, direction: .s2c, faults: active + [.bandwidth(bytesPerSecond: 65536)])
            ])
        #expect(menu("-1").1 == [.setFaults(session: 2, direction: .s2c, faults: [.slice(bytes: 1)])])
        #expect(
            menu("-slice=1").1 == [
                .setFaults(session: 2, direction: .s2c, faults: [.latency(.milliseconds(200))])
            ])
        #expect(
            menu("1=latency=1s").1 == [
                .setFaults(session: 2, direction: .s2c, faults: [.latency(.seconds(1)), .slice(bytes: 1)])
            ])
        #expect(menu("clear").1 == [.setFaults(session: 2, direction: .s2c, faults: [])])
        #expect(
            menu("clear +blackhole").1 == [.setFaults(session: 2, direction: .s2c, faults: [.blackhole])])
        let (view, commands) = menu("-2 +reset=now")
        #expect(
            commands == [
                .setFaults(
                    session: 2, direction: .s2c,
                    faults: [.latency(.milliseconds(200)), .reset(afterBytes: 0)])
            ])
        #expect(view.prompt == nil)
        #expect(view.message == "faults on server → client #2: latency=200ms, reset=now")
        #expect(menu("clear").0.message == "no faults on server → client #2")
        // On client → server, which has none.
        #expect(
            press([.char("t")] + "+latency=300ms".map { .char($0) } + [.enter]).1 == [
                .setFaults(session: 2, direction: .c2s, faults: [.latency(.milliseconds(300))])
            ])
    }

    @Test func nothingChangedSendsNothing() {
        for text in ["", "  ", "1=latency=200ms"] {
            let (view, commands) = menu(text)
            #expect(commands.isEmpty && view.prompt == nil && view.message == "faults unchanged", "\(text)")
        }
    }

    @Test func aBadEditShowsWhyAndKeepsTheMenuOpen() {
        let cases = [
            "+latency=abc": "\"+latency=abc\": bad duration \"abc\" (expected e.g. 200ms, 1.5s)",
            "+warp=9":
                "\"+warp=9\": unknown fault \"warp\" (expected latency, bandwidth, slice, limit, reset,"
                + " slowclose or blackhole)",
            "-3": "\"-3\": no fault 3 (1-2 are shown)",
            "-1 -1": "\"-1\": fault 1 is already removed or changed",
            "-limit=1": "\"-limit=1\": no active fault limit=1",
            "latency=1s": "\"latency=1s\": unknown edit (expected +KIND=VALUE, -N, N=KIND=VALUE or clear)",
        ]
        for (text, message) in cases {
            let (view, commands) = menu(text)
            #expect(commands.isEmpty, "\(text)")
            #expect(view.message == message && view.messageIsError, "\(text)")
            #expect(view.prompt?.text == text, "\(text)")
            // Fixing the line and pressing Enter again applies it.
            let (fixed, applied) = press(
                Array(repeating: .backspace, count: text.count) + "clear".map { .char($0) } + [.enter], view)
            #expect(applied == [.setFaults(session: 2, direction: .s2c, faults: [])], "\(text)")
            #expect(fixed.prompt == nil && !fixed.messageIsError)
        }
        #expect(
            press([.char("t"), .char("-"), .char("1"), .enter]).0.message
                == "\"-1\": no fault 1: there are none")
    }

    @Test func escCancels() {
        let (view, commands) = press([.tab, .char("t"), .char("-"), .char("1"), .escape])
        #expect(commands.isEmpty && view.prompt == nil)
        #expect(press([.char("t"), .escape, .char("t")]).0.prompt != nil)
    }

    @Test func offlineEndedAndConversationRefuse() {
        // Refused: the reason stays in the footer and takes the keys until Enter or Esc.
        let refused = { (reason: String) in Prompt(.refused(reason: reason)) }
        let (offline, none) = press([.tab, .char("t")], ViewState(live: false))
        #expect(none.isEmpty && offline.prompt == refused("offline: no live session"))
        #expect(offline.message == "offline: no live session")
        let (conversation, _) = press([.tab, .tab, .char("t")])
        #expect(conversation.prompt == refused("t: focus one direction first (tab)"))
        let model = Fixtures.redis()
        model.record(SessionEvent(conn: 2, .close(c2s: Stats(), s2c: Stats())))
        let (ended, _) = KeyHandler.handle(ViewState(), .char("t"), model.snapshot())
        #expect(ended.prompt == refused("session #2 has ended") && ended.message == "session #2 has ended")
    }

    @Test func theFooterShowsTheListAndTheProblem() {
        let (open, _) = menu("+x", enter: false)
        let footer = ScreenRenderer.render(snapshot, open, width: 160, height: 24).grid.line(23)
        #expect(
            footer.hasPrefix(
                " faults of server → client #2: 1 latency=200ms 2 slice=1 > +x_   +KIND=VALUE add"))
        let (bad, _) = menu("+x")
        // The error does not fit after the line: it is drawn above it, whole.
        let grid = ScreenRenderer.render(snapshot, bad, width: 160, height: 24).grid
        #expect(grid.line(23).contains("> +x_ ") && !grid.line(23).contains("unknown"))
        #expect(grid.line(22).hasPrefix(" \"+x\": unknown fault \"x\""), "\(grid.text)")
        #expect(!grid.text.contains("…"))
        var none = ViewState()
        none.prompt = Prompt(.faults(session: 2, direction: .c2s, active: []))
        #expect(
            ScreenRenderer.render(snapshot, none, width: 100, height: 24).grid.line(23).hasPrefix(
                " faults of client → server #2: none > _"))
    }

    /// A view whose engine lets it change what new sessions get: `c2s` faults for new ones.
    func engineView(_ c2s: [Fault] = []) -> ViewState {
        var view = ViewState(now: Fixtures.t0)
        view.newSessionFaults = [.c2s: c2s, .s2c: []]
        return view
    }

    @Test("T: every session's menu; Enter sets new sessions' faults and the same on each live one")
    func everySession() {
        let (open, none) = press([.char("T")], engineView([.slice(bytes: 1)]))
        #expect(none.isEmpty)
        #expect(open.prompt == Prompt(.faults(session: nil, direction: .c2s, active: [.slice(bytes: 1)])))
        let (applied, commands) = press(
            [.char("T")] + "+blackhole".map { .char($0) } + [.enter], engineView())
        // Session 1 is live in the fixture; session 2 too (its directions shut or EOF, not closed).
        let live = snapshot.sessions.filter { $0.closed == nil }.map(\.id)
        #expect(
            commands
                == [.setNewSessionFaults(direction: .c2s, faults: [.blackhole])]
                + live.map { .setFaults(session: $0, direction: .c2s, faults: [.blackhole]) })
        #expect(
            applied.message
                == "faults on client → server of new sessions and \(live.count) live ones: blackhole")
        // The title says what new sessions get.
        var withFaults = engineView([.latency(.milliseconds(200))])
        withFaults.newSessionFaults?[.s2c] = [.slice(bytes: 1)]
        let title = ScreenRenderer.render(snapshot, withFaults, width: 160, height: 24).grid.line(0)
        #expect(title.contains("new sessions: c2s:latency=200ms s2c:slice=1"), "\(title)")
    }

    @Test("Tab in the menu switches between the selected session and every session, keeping the text")
    func tabSwitchesScope() {
        let (all, _) = press([.tab, .char("t"), .char("+"), .tab], engineView([.blackhole]))
        #expect(all.prompt == Prompt(.faults(session: nil, direction: .s2c, active: []), text: "+"))
        let (back, _) = press([.tab], all)
        #expect(back.prompt == Prompt(.faults(session: 2, direction: .s2c, active: active), text: "+"))
        // Without the engine's policy (a UI without the proxy), Tab says why and the menu stays.
        let (plain, _) = press([.tab, .char("t"), .tab])
        #expect(plain.prompt == Prompt(.faults(session: 2, direction: .s2c, active: active)))
        #expect(plain.message == "faults for every session need the proxy's engine")
    }

    @Test("T refuses offline, without the engine's policy, and on the conversation")
    func everySessionRefusals() {
        let refused = { (reason: String) in Prompt(.refused(reason: reason)) }
        #expect(press([.char("T")], ViewState(live: false)).0.prompt == refused("offline: no live session"))
        #expect(press([.char("T")]).0.prompt == refused("faults for every session need the proxy's engine"))
        #expect(
            press([.tab, .tab, .char("T")], engineView()).0.prompt
                == refused("T: focus one direction first (tab)"))
    }
}

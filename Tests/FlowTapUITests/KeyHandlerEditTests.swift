import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import Foundation
import NIOCore
import Testing

/// `e`, `d`, `i` and the editor's Enter/Esc, as pure key handling over the Redis fixture: session
/// 2 has client → server shut and server → client paused, holding "+PONG\r\n" (hold 1).
@Suite struct KeyHandlerEditTests {
    let model = Fixtures.redis()

    func press(
        _ keys: [Key], _ view: ViewState = ViewState(now: Fixtures.t0), snapshot: InspectorSnapshot? = nil
    ) -> (ViewState, [Command]) {
        let snapshot = snapshot ?? model.snapshot()
        return Fixtures.press(keys, view, snapshot)
    }

    func typing(_ text: String) -> [Key] { text.map { .char($0) } }
    let erasePong = [Key](repeating: .backspace, count: "+PONG\\r\\n".count)

    @Test func editSendsTheEditInPlaceOfTheHeldChunk() {
        let (open, none) = press([.tab, .char("e")])
        #expect(none.isEmpty)
        #expect(open.editor?.purpose == .replace(session: 2, direction: .s2c, hold: 1))
        #expect(String(open.editor?.editor.text ?? []) == "+PONG\\r\\n")
        #expect(open.editor?.editor.mode == .text)
        let (sent, commands) = press(erasePong + typing("-ERR no\\r\\n") + [.enter], open)
        #expect(
            commands == [.replaceHeld(session: 2, direction: .s2c, hold: 1, bytes: Array("-ERR no\r\n".utf8))]
        )
        #expect(sent.editor == nil)
        #expect(sent.message == "sent 9 B in place of the held 7 B (server → client #2 stays paused)")
    }

    @Test func anEmptyEditStaysOpenAndSaysWhy() {
        let (open, _) = press([.tab, .char("e")])
        let (view, commands) = press(erasePong + [.enter], open)
        #expect(commands.isEmpty)
        #expect(view.editor != nil)
        #expect(view.message == "an edit needs at least one byte (d drops the chunk)" && view.messageIsError)
    }

    @Test func anEditOfAChunkThatWentOnSendsNothing() {
        let (open, _) = press([.tab, .char("e")])
        // Meanwhile the held chunk went on and another is held (hold 2).
        model.record(
            SessionEvent(
                conn: 2, .held(.s2c, HeldChunk(number: 2, bytes: ByteBuffer(string: "+OK\r\n")))))
        let (view, commands) = press([.enter], open)
        #expect(commands.isEmpty && view.editor == nil)
        #expect(view.message == "the held chunk of server → client #2 went on meanwhile: nothing edited")
    }

    @Test func escCancelsAndSendsNothing() {
        let (open, _) = press([.tab, .char("e")])
        let (view, commands) = press(typing("xyz") + [.escape], open)
        #expect(commands.isEmpty && view.editor == nil)
        #expect(view.message == "edit cancelled: nothing sent")
    }

    @Test func dropNamesTheHold() {
        #expect(press([.tab, .char("d")]).1 == [.dropHeld(session: 2, direction: .s2c, hold: 1)])
        let (view, commands) = press([.char("d")])
        #expect(commands.isEmpty)
        #expect(view.message == "nothing held in client → server (p pauses it)")
        #expect(press([.char("e")]).0.message == "nothing held in client → server (p pauses it)")
        #expect(press([.tab, .tab, .char("d")]).0.message == "d: focus one direction first (tab)")
    }

    @Test func injectIntoAnOpenDirectionOnly() {
        // client → server is shut: nothing more can go that way.
        let (shut, none) = press([.char("i")])
        #expect(none.isEmpty && shut.editor == nil)
        #expect(shut.message == "client → server is shut: its FIN was passed on")
        // server → client has seen EOF but is not shut yet: bytes can still go.
        let (open, _) = press([.tab, .char("i")])
        #expect(open.editor?.purpose == .inject(session: 2, direction: .s2c))
        #expect(open.editor?.editor.text.isEmpty == true)
        let (nothing, noCommand) = press([.enter], open)
        #expect(noCommand.isEmpty && nothing.message == "nothing to inject")
        let (sent, commands) = press(typing("hi\\x00\\n") + [.enter], open)
        #expect(commands == [.inject(session: 2, direction: .s2c, bytes: [0x68, 0x69, 0x00, 0x0a])])
        #expect(sent.message == "injected 4 B into server → client #2")
    }

    @Test func offlineTheKeysOnlySaySo() {
        for key in ["e", "d", "i"] {
            let (view, commands) = press(
                [.tab, .char(Character(key))], ViewState(live: false, now: Fixtures.t0))
            #expect(commands.isEmpty && view.editor == nil)
            #expect(view.message == KeyHandler.offlineMessage)
        }
    }

    @Test func nShowsTheMarkedByteWhenThereIsNoSearch() {
        model.setNotice(
            "answers differ at byte 3", isError: true, mark: ByteMark(session: 1, direction: .s2c, offset: 3))
        let (view, commands) = press([.char("n")])
        #expect(commands.isEmpty)
        #expect(view.selected == 1 && !view.followNewest && view.pane == .s2c)
        #expect(view.search?.match == SearchMatch(direction: .s2c, offset: 3, length: 1))
        #expect(view.scrollRequest == .match)
        #expect(view.message == "the marked byte: s2c offset 3 of #1")
        // A real search takes precedence.
        let (searched, _) = press([.char("/")] + typing("PING") + [.enter, .char("n")])
        #expect(searched.search?.query == "PING")
    }

    @Test func theFooterLeavesTheKeysToTheOpenEditor() {
        let (open, _) = press([.tab, .char("e")])
        let (grid, _) = ScreenRenderer.render(model.snapshot(), open, width: 100, height: 24)
        #expect(grid.line(23).trimmingCharacters(in: .whitespaces).isEmpty, "footer: \(grid.line(23))")
        #expect(grid.lines.contains { $0.contains("Enter send  Esc cancel") })
        #expect(grid.lines.contains { $0.contains("edit the held chunk  server → client #2") })
    }
}

/// `flowtap replay`'s compare view: the capture above, the replay below, at the same offsets.
@Suite struct CompareViewTests {
    static func model() -> InspectorModel {
        let answer = (0..<40).map { "line \($0)\r\n" }.joined()
        let other = answer.replacingOccurrences(of: "line 30", with: "LINE 30")
        var events: [(Int, UInt64, SessionEvent.Kind)] = []
        for (id, text) in [(1, answer), (2, other)] {
            let base = UInt64(id) * 1000
            events += [
                (id, base, .open(client: Fixtures.client1, target: Fixtures.target)),
                (id, base + 1, .data(.c2s, offset: 0, bytes: Fixtures.buffer("GET\r\n"))),
                (id, base + 2, .data(.s2c, offset: 0, bytes: Fixtures.buffer(text))),
            ]
        }
        return Fixtures.model(events)
    }

    @Test func theCaptureIsAboveTheReplayAtTheSameOffsets() {
        let model = Self.model()
        var view = ViewState(live: false, now: Fixtures.t0)
        view.compare = ComparedSessions(original: 1, replay: 2)
        view.pane = .s2c
        view.hex = false
        let (grid, _) = ScreenRenderer.render(model.snapshot(), view, width: 100, height: 30)
        let rows = grid.lines
        let top = rows.firstIndex { $0.hasPrefix(" server → client  #1") }
        let bottom = rows.firstIndex { $0.hasPrefix(" server → client  #2") }
        #expect(top != nil && bottom != nil && top! < bottom!, "\(rows.joined(separator: "\n"))")
        // Both show the tail of the replay's offsets: the differing line in each.
        #expect(rows[top!..<bottom!].contains { $0.contains("line 30\\r\\n") })
        #expect(rows[bottom!...].contains { $0.contains("LINE 30\\r\\n") })
        #expect(!rows.contains { $0.hasPrefix(" client → server") })

        // c turns it off: the selected session's two directions again.
        let (off, _) = KeyHandler.handle(view, .char("c"), model.snapshot())
        #expect(!off.comparing && off.message == "compare off")
        let (normal, _) = ScreenRenderer.render(model.snapshot(), off, width: 100, height: 30)
        #expect(normal.lines.contains { $0.hasPrefix(" client → server  #2") })
        #expect(!normal.lines.contains { $0.hasPrefix(" server → client  #1") })
        // Without a pair, c says what it is for.
        let (plain, _) = KeyHandler.handle(ViewState(), .char("c"), model.snapshot())
        #expect(plain.message == "c compares a capture with its replay (flowtap replay)")
    }
}

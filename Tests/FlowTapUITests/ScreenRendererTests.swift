import FlowCapture
import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore
import TestSupport
import Testing

@Suite(.busyThreads) struct ScreenRendererTests {
    let now = Fixtures.t0 + 12 * Fixtures.second

    func render(
        _ model: InspectorModel, _ configure: (inout ViewState) -> Void = { _ in }, width: Int = 80,
        height: Int = 24
    ) -> (CellGrid, [String], ViewState) {
        var view = ViewState(ascii: false, live: true, now: now)
        view.times = false  // the time column has its own tests (TimeColumnTests)
        configure(&view)
        let (grid, next) = ScreenRenderer.render(model.snapshot(), view, width: width, height: height)
        GridAssertions.checkCells(grid)
        return (grid, GridAssertions.rows(grid), next)
    }

    @Test func designScreen80x24() {
        let (_, rows, _) = render(Fixtures.redis())
        #expect(rows[0].hasPrefix(" flowtap  127.0.0.1:8080 ⇄ 127.0.0.1:6379  capture: s.pcapng  2 sessions"))
        #expect(rows[0].hasSuffix("? help"))
        #expect(rows[1].hasPrefix(" #  client "))
        #expect(rows[1].contains("c2s") && rows[1].contains("▲ bytes") && rows[1].contains("▼ bytes"))
        #expect(rows[2].hasPrefix(" 1  127.0.0.1:53422"))
        #expect(rows[3].hasPrefix(">2  127.0.0.1:53430"))
        #expect(rows[3].contains("shut") && rows[3].contains("EOF paused") && rows[3].contains("18 B"))
        #expect(rows[2].contains("1.2 KiB") && rows[2].contains("13.7 KiB") && rows[2].hasSuffix("00:12"))
        #expect(rows[3].hasSuffix("00:03"))
        #expect(rows[4].hasPrefix(" client → server  #2  shut  18 B in 2 chunks  0 B/s ─"))
        #expect(rows[5] == " 00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a        |*1..$4..PING..|")
        #expect(rows[6] == " 0000000e  51 55 49 54                                       |QUIT|")
        let s2c = rows.firstIndex { $0.hasPrefix(" server → client") }!
        #expect(
            rows[s2c].hasPrefix(
                " server → client  #2  EOF  7 B in 1 chunk  0 B/s  paused: 1 chunk held (7 B) ─"))
        // A full row leaves no room for the mark column at 80: the mark takes a line of its own.
        #expect(rows[s2c + 1] == " 00000000  2b 50 4f 4e 47 0d 0a                              |+PONG..|")
        #expect(rows[s2c + 2] == "           (held)")
        #expect(rows[23].hasPrefix(" p pause  s step  r resume  tab pane"))
        #expect(rows[23] == " p pause  s step  r resume  tab pane  m messages  b break  x hex/text  q quit")
    }

    @Test func hexOffsetsAreTheDirectionsOwnEvenAfterHistoryDropped() {
        let model = InspectorModel(target: "t", historyLimit: 40)
        model.record(SessionEvent(conn: 1, .open(client: Fixtures.client1, target: Fixtures.target)))
        for i in 0..<4 {
            let bytes = (0..<20).map { UInt8(i * 20 + $0) }
            model.record(
                SessionEvent(conn: 1, .data(.c2s, offset: i * 20, bytes: Fixtures.buffer(bytes))))
        }
        let (_, rows, _) = render(model)
        let body = rows.drop { !$0.hasPrefix(" client → server") }.dropFirst()
        // The head (the first 20 B) and the tail (the last 20 B) are kept, and a line says where
        // the middle was cut.
        #expect(
            Array(body.prefix(5)) == [
                " 00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
                " 00000010  10 11 12 13                                       |....|",
                " … c2s bytes 20 B–60 B not kept (history limit)",
                " 0000003c  3c 3d 3e 3f 40 41 42 43  44 45 46 47 48 49 4a 4b  |<=>?@ABCDEFGHIJK|",
                " 0000004c  4c 4d 4e 4f                                       |LMNO|",
            ])
    }

    @Test func hexLinesNarrowWithTheTerminal() throws {
        let (_, rows40, _) = render(Fixtures.redis(), width: 40, height: 12)
        let held = try #require(rows40.firstIndex(of: " 00000000  2b 50 4f 4e  |+PON|"))
        #expect(
            Array(rows40[held...].prefix(3)) == [
                " 00000000  2b 50 4f 4e  |+PON|", " 00000004  47 0d 0a     |G..|", "           (held)",
            ])
        // At 60 the mark has a column of its own, after the text column of a full row.
        let (_, rows60, _) = render(Fixtures.redis(), width: 60, height: 12)
        #expect(rows60.contains(" 00000000  2b 50 4f 4e 47 0d 0a     |+PONG..|    (held)"))
    }

    @Test(arguments: [
        DirectionPhase.open, .eof, .shut, .closed, .readError("connection reset by peer"),
        .writeError("broken pipe"),
    ])
    func everyStateWordShows(_ phase: DirectionPhase) {
        var events: [(Int?, UInt64, SessionEvent.Kind)] = [
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 1, .data(.s2c, offset: 0, bytes: Fixtures.buffer("hi"))),
        ]
        switch phase {
        case .open: break
        case .eof: events.append((1, 2, .eof(.s2c)))
        case .shut: events += [(1, 2, .eof(.s2c)), (1, 3, .shutdown(.s2c))]
        case .closed: events.append((1, 4, .close(c2s: Stats(), s2c: Stats())))
        case .readError(let e): events.append((1, 2, .readError(.s2c, e)))
        case .writeError(let e): events.append((1, 2, .writeError(.s2c, e)))
        }
        let model = Fixtures.model(events)
        for width in [80, 120] {
            let (grid, rows, _) = render(model, width: width, height: 24)
            let list = rows[2]
            let titles = rows.filter { $0.hasPrefix(" server → client  #1  ") }
            #expect(titles.count == 1)
            #expect(titles.first?.contains("  \(phase.word)  ") == true, "\(titles)")
            let column = phase.word.count > 18 ? String(phase.word.prefix(10)) : phase.word
            #expect(list.contains(column), "\(list)")
            if phase.isError {
                let y = rows.firstIndex { $0.hasPrefix(" server → client") }!
                #expect(grid[1, y].style.role == .error)
            }
        }
        let (_, wide, _) = render(model, width: 200, height: 24)
        #expect(wide[2].contains(phase.word))
    }

    @Test func connectErrorSession() {
        let model = Fixtures.model([
            (
                1, 0,
                .connectError(client: Fixtures.client1, target: Fixtures.target, error: "connection refused")
            )
        ])
        let (_, rows, _) = render(model, width: 100)
        #expect(rows[2].contains("connect error: connection refused"))
        #expect(rows.contains { $0.contains("no bytes: the target was not reached") })
    }

    @Test func paneTitlesShowTheActiveFaults() {
        let model = Fixtures.redis()
        model.record(SessionEvent(conn: 2, .fault(.s2c, "latency=200ms")))
        model.record(SessionEvent(conn: 2, .fault(.s2c, "slice=1")))
        model.record(SessionEvent(conn: 2, .fault(.c2s, "blackhole")))
        let (_, rows, _) = render(model, width: 120)
        let c2s = rows.first { $0.hasPrefix(" client → server") }
        #expect(
            c2s?.hasPrefix(
                " client → server  #2  shut  18 B in 2 chunks  0 B/s" + "  faults: blackhole ─") == true)
        let s2c = rows.first { $0.hasPrefix(" server → client") }
        #expect(
            s2c?.hasPrefix(
                " server → client  #2  EOF  7 B in 1 chunk  0 B/s  paused: 1 chunk held (7 B)"
                    + "  faults: latency=200ms, slice=1 ─") == true)
        let (_, conversation, _) = render(model, { $0.pane = .conversation }, width: 160)
        #expect(
            conversation[4].hasPrefix(
                " conversation  #2  client → server: shut, 18 B, faults: blackhole  "
                    + "server → client: EOF, 7 B paused, faults: latency=200ms, slice=1 ─"))
        // Removed faults leave the title.
        model.record(SessionEvent(conn: 2, .fault(.s2c, "-latency=200ms")))
        model.record(SessionEvent(conn: 2, .fault(.c2s, "-blackhole")))
        let (_, after, _) = render(model, width: 120)
        #expect(after.first { $0.hasPrefix(" server → client") }?.contains("faults: slice=1 ─") == true)
        #expect(after.first { $0.hasPrefix(" client → server") }?.contains("faults") == false)
    }

    @Test func textViewEscapesAndMarksHeld() {
        let (_, rows, _) = render(Fixtures.redis()) { $0.hex = false }
        #expect(rows.contains(" *1\\r\\n"))
        #expect(rows.contains(" $4\\r\\n"))
        #expect(rows.contains(" PING\\r\\n"))
        #expect(rows.contains(" QUIT"))
        #expect(rows.contains(" +PONG\\r\\n   (held)"))
    }

    @Test func heldChunkOfAFullLineStillFits() {
        let bytes = Array(repeating: UInt8(ascii: "z"), count: 32)
        let model = Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 1, .pause(.c2s)),
            (1, 3, .held(.c2s, HeldChunk(number: 1, bytes: Fixtures.buffer(bytes)))),
        ])
        for width in [40, 80, 88, 120] {
            let (_, rows, _) = render(model, width: width, height: 24)
            let hex = rows.filter { $0.hasPrefix(" 000000") }
            #expect(hex.count == (width >= 79 ? 2 : width >= 46 ? 4 : 8), "\(width): \(hex)")
            if width >= 91 {  // room for the mark column after a full row
                #expect(hex.allSatisfy { $0.hasSuffix("|   (held)") }, "\(width): \(hex)")
            } else {
                #expect(hex.allSatisfy { $0.hasSuffix("|") }, "\(width): \(hex)")
                #expect(rows.filter { $0 == "           (held)" }.count == 1, "\(width): \(rows)")
            }
        }
    }

    @Test func conversationInterleavesByTime() {
        let model = Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 10, .data(.c2s, offset: 0, bytes: Fixtures.buffer("GET / HTTP/1.0\r\n\r\n"))),
            (1, 20, .data(.s2c, offset: 0, bytes: Fixtures.buffer("HTTP/1.0 200 OK\r\n"))),
            (1, 30, .data(.c2s, offset: 18, bytes: Fixtures.buffer("more"))),
            (1, 40, .data(.s2c, offset: 17, bytes: Fixtures.buffer("body"))),
        ])
        let (_, rows, _) = render(model) {
            $0.pane = .conversation
            $0.hex = false
        }
        let title = rows.firstIndex { $0.hasPrefix(" conversation  #1  client → server: open, 22 B") }!
        #expect(
            Array(rows[(title + 1)...(title + 5)]) == [
                "→ GET / HTTP/1.0\\r\\n", "  \\r\\n", "← HTTP/1.0 200 OK\\r\\n", "→ more", "← body",
            ])
        let (_, hexRows, _) = render(model, { $0.pane = .conversation }, width: 80)
        #expect(
            hexRows.contains(
                "→ 00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|"))
        #expect(hexRows.contains("  00000010  0d 0a                                             |..|"))
        #expect(hexRows.contains("← 00000011  62 6f 64 79                                       |body|"))
    }

    @Test func everyWidthFromFortyToTwoHundredLaysOut() {
        let model = Fixtures.redis()
        model.record(
            SessionEvent(
                conn: 2,
                .data(.c2s, offset: 18, bytes: Fixtures.buffer(Array(0...255) + Array("中文 é".utf8))),
                time: Fixtures.t0 + 9_100_000_000))
        for width in 40...200 {
            for pane in Pane.allCases {
                for hex in [true, false] {
                    for ascii in [false, true] {
                        var view = ViewState(ascii: ascii, live: true, now: now)
                        view.pane = pane
                        view.hex = hex
                        let (grid, _) = ScreenRenderer.render(
                            model.snapshot(), view, width: width, height: 24)
                        GridAssertions.checkCells(grid)
                        let rows = GridAssertions.rows(grid)
                        #expect(rows.count == 24)
                        #expect(rows[0].hasSuffix("? help"), "\(width)")
                        #expect(rows[23].hasSuffix("q quit"), "\(width)")
                        for row in rows
                        where row.hasPrefix(" 000") || row.hasPrefix("→ 000") || row.hasPrefix("← 000") {
                            #expect(row.hasSuffix("|") || row.hasSuffix("(held)"), "\(width) \(pane): \(row)")
                        }
                    }
                }
            }
        }
    }

    @Test func everyHeightWithHelpAndPromptLaysOut() {
        let model = Fixtures.redis()
        for width in [40, 57, 80, 133, 200] {
            for height in [10, 11, 17, 60] {
                for help in [false, true] {
                    let (grid, rows, _) = render(
                        model,
                        {
                            $0.help = help
                            $0.prompt = Prompt(.search, text: String(repeating: "é", count: 300))
                        }, width: width, height: height)
                    #expect(grid.height == height && rows.count == height)
                    #expect(rows[0].hasSuffix("? help"))
                    // The prompt's label stays, the end of the text (the cursor) too.
                    // (The help box covers the rows above the last.)
                    #expect(
                        help || rows[(height - max(1, height / 4))...].contains { $0.hasPrefix(" /") },
                        "\(rows)")
                    #expect(rows[height - 1].contains("é_"), "\(rows)")
                    #expect(rows.contains { $0.hasPrefix(" client → server  #2") } || help)
                    if help { #expect(rows.contains { $0.contains("─ help ") }) }
                }
            }
        }
    }

    @Test(arguments: [(39, 24), (40, 9), (20, 5), (1, 1), (0, 0)])
    func tooSmallTerminal(_ size: (Int, Int)) {
        let (grid, rows, _) = render(Fixtures.redis(), width: size.0, height: size.1)
        #expect(grid.width == size.0 && grid.height == size.1)
        if size.0 >= 31 && size.1 > 0 {
            #expect(rows[size.1 / 2] == "terminal too small (need 40x10)")
        } else if size.0 > 8 {
            #expect(rows[size.1 / 2].hasPrefix("terminal"))
        }
        let (_, ok, _) = render(Fixtures.redis(), width: 40, height: 10)
        #expect(!ok.contains { $0.contains("too small") })
    }

    @Test func utf8AndASCIIModes() {
        let model = Fixtures.model([
            (1, 0, .open(client: .unix(path: "/tmp/é.sock"), target: Fixtures.target)),
            (1, 1, .data(.c2s, offset: 0, bytes: Fixtures.buffer("héllo 中文 \u{200b}\u{301}\u{85}\n"))),
        ])
        let (_, utf8, _) = render(model) { $0.hex = false }
        #expect(
            utf8.contains(" héllo 中文 \\u{200b}\\u{301}\\xc2\\x85\\n")
                || utf8.contains(" héllo 中文 \\u{200b}\\u{301}\\x85\\n"))
        #expect(utf8[0].contains("⇄"))
        let (asciiGrid, ascii, _) = render(model) {
            $0.hex = false
            $0.ascii = true
        }
        #expect(
            ascii.contains(
                " h\\xc3\\xa9llo \\xe4\\xb8\\xad\\xe6\\x96\\x87 \\xe2\\x80\\x8b\\xcc\\x81\\xc2\\x85\\n"))
        #expect(ascii[0].contains("<->"))
        #expect(ascii.contains { $0.hasPrefix(" client -> server  #1") })
        #expect(ascii[1].contains("^ bytes") && ascii[1].contains("v bytes"))
        #expect(asciiGrid.cells.allSatisfy { $0.character.unicodeScalars.allSatisfy(\.isASCII) })
    }

    @Test func controlBytesNeverReachTheGrid() {
        let all = Array(UInt8.min...UInt8.max)
        let model = Fixtures.model([
            (1, 0, .open(client: .unix(path: "/tmp/\u{1b}[2J\u{7}"), target: .unix(path: "\u{9b}x"))),
            (1, 1, .data(.c2s, offset: 0, bytes: Fixtures.buffer(all))),
            (1, 2, .data(.s2c, offset: 0, bytes: Fixtures.buffer(all.reversed()))),
            (1, 3, .readError(.c2s, "bad\u{1b}[31m\r\nthing\u{7f}")),
        ])
        for pane in Pane.allCases {
            for hex in [true, false] {
                for ascii in [true, false] {
                    for width in [40, 80, 200] {
                        let (grid, _, _) = render(
                            model,
                            {
                                $0.pane = pane
                                $0.hex = hex
                                $0.ascii = ascii
                                $0.help = true
                                $0.message = "msg \u{1b}[H"
                            }, width: width, height: 30)
                        _ = grid
                    }
                }
            }
        }
        let (_, rows, _) = render(model, { $0.hex = false }, width: 200, height: 30)
        #expect(rows.contains { $0.contains("read error: bad\\x1b[31m\\r\\nthing\\x7f") })
    }

    @Test func helpOverlayListsKeysAndSearchSyntax() {
        let (_, rows, shown) = render(Fixtures.redis()) { $0.help = true }
        let text = rows.joined(separator: "\n")
        for needle in ["┌─ help ", "pause or resume", "kill the session", "more below: j, PgDn"] {
            #expect(text.contains(needle), "\(needle)")
        }
        // It scrolls (kept in range): the rest, wrapped, not cut.
        let (scrolled, _) = Fixtures.press(
            [.pageDown, .pageDown, .pageDown, .pageDown], shown, Fixtures.redis().snapshot())
        let (_, end, settled) = render(Fixtures.redis()) { $0 = scrolled }
        let bottom = end.joined(separator: "\n")
        for needle in [
            "help (more above: k, PgUp)", "/x 0d 0a", "search hex bytes", "quit (asks first while chunks",
        ] {
            #expect(bottom.contains(needle), "\(needle): \(bottom)")
        }
        #expect(!bottom.contains("more below") && settled.helpTop < scrolled.helpTop)
        for row in end where row.contains("│") { #expect(!row.contains("…"), "cut: \(row)") }
    }

    @Test func footerShowsPromptAndMessages() {
        let (_, rows, _) = render(Fixtures.redis()) { $0.prompt = Prompt(.save, text: "x.pcapng") }
        #expect(rows[23].hasPrefix(" save capture as: x.pcapng_   Enter saves, Esc cancels"))
        let (grid, rows2, _) = render(Fixtures.redis()) {
            $0.message = "cannot create capture /nope/x: no such file or directory"
            $0.messageIsError = true
        }
        #expect(rows2[23] == " cannot create capture /nope/x: no such file or directory")
        #expect(grid[1, 23].style.role == .error)
        let (_, offline, _) = render(Fixtures.redis()) { $0.live = false }
        #expect(!offline[23].contains("p pause"))
        #expect(offline[23].hasPrefix(" tab pane"))
    }

    @Test func scrollingAnchorsAndFollows() {
        var events: [(Int?, UInt64, SessionEvent.Kind)] = [
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target))
        ]
        for i in 0..<100 {
            events.append(
                (
                    1, UInt64(i + 1),
                    .data(.c2s, offset: i * 16, bytes: Fixtures.buffer(Array(repeating: UInt8(i), count: 16)))
                ))
        }
        let model = Fixtures.model(events)
        let height = 24
        var view = ViewState(ascii: false, live: true, now: now)
        view.times = false  // the time column has its own tests (TimeColumnTests)
        var (grid, next) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        view = next
        func firstOffset(_ grid: CellGrid) -> String {
            let rows = GridAssertions.rows(grid)
            let title = rows.firstIndex { $0.hasPrefix(" client → server") }!
            return String(rows[title + 1].prefix(9))
        }
        let pane = view.pageLines
        #expect(pane > 3)
        #expect(firstOffset(grid) == " " + hex8((100 - pane) * 16))
        (view, _) = KeyHandler.handle(view, .pageUp, model.snapshot())
        (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        #expect(firstOffset(grid) == " " + hex8((100 - pane - (pane - 1)) * 16))
        #expect(!view.following)
        #expect(GridAssertions.rows(grid).contains { $0.contains("[scrolled]") })
        model.record(SessionEvent(conn: 1, .data(.c2s, offset: 1600, bytes: Fixtures.buffer("new"))))
        (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        #expect(firstOffset(grid) == " " + hex8((100 - pane - (pane - 1)) * 16))
        (view, _) = KeyHandler.handle(view, .home, model.snapshot())
        (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        #expect(firstOffset(grid) == " 00000000")
        (view, _) = KeyHandler.handle(view, .end, model.snapshot())
        (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        #expect(view.following)
        #expect(
            GridAssertions.rows(grid).contains(
                " 00000640  6e 65 77                                          |new|"))
        (view, _) = KeyHandler.handle(view, .pageUp, model.snapshot())
        (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        for _ in 0..<3 {
            (view, _) = KeyHandler.handle(view, .pageDown, model.snapshot())
            (grid, view) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: height)
        }
        #expect(view.following)
    }

    @Test func searchMatchIsShownAndHighlighted() {
        var events: [(Int?, UInt64, SessionEvent.Kind)] = [
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target))
        ]
        for i in 0..<60 {
            let text = i == 7 ? "xxxxNEEDLExxxxxx" : "aaaaaaaaaaaaaaaa"
            events.append((1, UInt64(i + 1), .data(.c2s, offset: i * 16, bytes: Fixtures.buffer(text))))
        }
        let model = Fixtures.model(events)
        var view = ViewState(ascii: false, live: true, now: now)
        view.times = false  // the time column has its own tests (TimeColumnTests)
        for key: Key in [.char("/"), .char("N"), .char("E"), .char("E"), .char("D"), .enter] {
            (view, _) = KeyHandler.handle(view, key, model.snapshot())
        }
        #expect(view.search?.match == SearchMatch(direction: .c2s, offset: 7 * 16 + 4, length: 4))
        #expect(view.message == "found at c2s offset 116")
        let (grid, settled) = ScreenRenderer.render(model.snapshot(), view, width: 80, height: 24)
        let rows = GridAssertions.rows(grid)
        let y = rows.firstIndex { $0.hasPrefix(" 00000070") }!
        #expect(!settled.following)
        let x = rows[y].firstIndex(of: "|")!.utf16Offset(in: rows[y]) + 1
        #expect(grid[x + 4, y].style.role == .match && grid[x + 7, y].style.role == .match)
        #expect(grid[x + 3, y].style.role != .match && grid[x + 8, y].style.role != .match)
        #expect(grid[11 + 4 * 3, y].style.role == .match)
    }

    private func hex8(_ n: Int) -> String {
        let s = String(n, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}

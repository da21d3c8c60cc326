import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore
import Testing

/// Issue 14, Deliver 6: the Δt column of the panes and of the message list (`D` toggles it).
@Suite struct TimeColumnTests {
    /// Session 2 of ``Fixtures/redis()``: PING at 10 ms after its open, QUIT 10 ms later, and
    /// +PONG held 51 ms after the open.
    static func rows(
        width: Int, pane: Pane = .c2s, hex: Bool = true, times: Bool = true, height: Int = 24
    ) -> [String] {
        var view = ViewState(ascii: false, live: true, now: Fixtures.t0)
        view.pane = pane
        view.hex = hex
        view.times = times
        let (grid, _) = ScreenRenderer.render(Fixtures.redis().snapshot(), view, width: width, height: height)
        GridAssertions.checkCells(grid)
        return GridAssertions.rows(grid)
    }

    @Test("Δt texts: at most 8 characters, the unit chosen by size, rounded down")
    func texts() {
        let ms: UInt64 = 1_000_000
        let cases: [(UInt64, String)] = [
            (0, "+0.000ms"), (42_000, "+0.042ms"), (999_999, "+0.999ms"), (ms, "+1.00ms"),
            (4_200_000, "+4.20ms"), (9_999_999, "+9.99ms"), (10 * ms, "+10.0ms"), (12_340_000, "+12.3ms"),
            (999_999_999, "+999.9ms"), (1_500 * ms, "+1.50s"), (99_999 * ms, "+99.99s"),
            (100_000 * ms, "+1m40s"), (3_599_000 * ms, "+59m59s"), (3_600_000 * ms, "+1h00m"),
            (359_940_000 * ms, "+99h59m"), (360_000_000 * ms, "+>99h"), (UInt64.max, "+>99h"),
        ]
        for (nanoseconds, text) in cases {
            #expect(DeltaTime.text(nanoseconds) == text, "\(nanoseconds)")
            #expect(DeltaTime.text(nanoseconds).count <= DeltaTime.columnWidth - 1)
        }
    }

    @Test(
        "hex at 100 columns: each chunk's first row starts with its Δt, its other rows blank; 16 bytes a row")
    func hexWide() {
        let rows = Self.rows(width: 100)
        // PING 10 ms after the open, QUIT 10 ms after PING.
        #expect(
            rows.contains { $0.hasPrefix(" +10.0ms  00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a") })
        #expect(rows.contains { $0.hasPrefix(" +10.0ms  0000000e  51 55 49 54 ") })
        let s2c = Self.rows(width: 100, pane: .s2c)
        // The held +PONG: 51 ms after the open (the s2c pane's first chunk).
        #expect(s2c.contains { $0.hasPrefix(" +51.0ms  00000000  2b 50 4f 4e 47 0d 0a") }, "\(s2c)")
        // Session 1's 1,200 B (its tail shown): the rows after the chunk's first have a blank column.
        var view = ViewState(ascii: false, live: true, now: Fixtures.t0)
        view.selected = 1
        view.followNewest = false
        let (grid, _) = ScreenRenderer.render(Fixtures.redis().snapshot(), view, width: 100, height: 40)
        let session1 = GridAssertions.rows(grid)
        #expect(
            session1.contains {
                $0
                    == "          000004a0  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|"
            },
            "\(session1)")
    }

    @Test("hex at 80 columns: no room beside 16-byte rows, so no column; text at 80: the column")
    func narrow() {
        let hex = Self.rows(width: 80)
        #expect(
            hex.contains { $0.hasPrefix(" 00000000  2a 31 0d 0a 24 34 0d 0a  50 49 4e 47 0d 0a") }, "\(hex)")
        #expect(!hex.contains { $0.contains("+10.0ms") })
        let text = Self.rows(width: 80, hex: false)
        #expect(text.contains(" +10.0ms  *1\\r\\n"), "\(text)")
        #expect(text.contains("          $4\\r\\n"))
        #expect(text.contains(" +10.0ms  QUIT"))
    }

    @Test("the conversation's Δt is the time since the chunk before in either direction")
    func conversation() {
        let rows = Self.rows(width: 100, pane: .conversation, hex: false, height: 30)
        // PING at +10 ms, QUIT 10 ms later, the held +PONG 31 ms after QUIT.
        #expect(rows.contains(" +10.0ms → *1\\r\\n"), "\(rows)")
        #expect(rows.contains(" +10.0ms → QUIT"))
        #expect(rows.contains { $0.hasPrefix(" +31.0ms ← +PONG\\r\\n") })
    }

    @Test("D turns the column off and on, and says so")
    func toggle() {
        let snapshot = Fixtures.redis().snapshot()
        let (off, commands) = KeyHandler.handle(ViewState(now: Fixtures.t0), .char("D"), snapshot)
        #expect(commands.isEmpty && !off.times)
        #expect(off.message == "time column off")
        let rows = GridAssertions.rows(ScreenRenderer.render(snapshot, off, width: 100, height: 24).grid)
        #expect(
            rows.contains { $0.hasPrefix(" 00000000  2a 31 0d 0a") }
                && !rows.contains { $0.contains("+10.0ms") })
        let (on, _) = KeyHandler.handle(off, .char("D"), snapshot)
        #expect(on.times && on.message?.hasPrefix("time column on") == true)
    }

    @Test("the message list: Δt from the message of the row above")
    func messageList() {
        var view = ViewState(ascii: false, live: true, now: Fixtures.t0)
        view = KeyHandler.handle(view, .char("m"), Fixtures.messages().snapshot()).0
        let (grid, _) = ScreenRenderer.render(Fixtures.messages().snapshot(), view, width: 100, height: 30)
        let rows = GridAssertions.rows(grid)
        // The message rows (not the held chunk's, not the bytes pane's title).
        let list = rows.filter { $0.contains(#/^[ >][→←] +[0-9]+  /#) }
        #expect(list.count == 4, "\(rows)")
        // Every message row has a Δt before its size.
        for row in list { #expect(row.contains(/\+[0-9.]+ms +[0-9]+ B/), "\(row)") }
    }
}

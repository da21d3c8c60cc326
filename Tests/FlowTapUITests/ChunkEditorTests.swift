import FlowCore
import FlowTapKit
import Testing

@testable import FlowTapUI

@Suite struct ChunkEditorTests {
    /// An editor on `text` typed in text mode, the cursor at `cursor` (the end when nil).
    func editor(_ text: String, cursor: Int? = nil, mode: ChunkEditor.Mode = .text) -> ChunkEditor {
        var e = ChunkEditor(title: "t", bytes: [], mode: mode)
        type(&e, text)
        if let cursor {
            _ = e.handle(.home)
            for _ in 0..<cursor { _ = e.handle(.right) }
        }
        return e
    }

    func type(_ e: inout ChunkEditor, _ text: String) {
        for c in text { #expect(e.handle(.char(c)) == .editing) }
    }

    func keys(_ e: inout ChunkEditor, _ keys: Key...) {
        for key in keys { _ = e.handle(key) }
    }

    // MARK: opening

    @Test func opensOnTheEncodedBytesWithTheCursorAtTheEnd() {
        let text = ChunkEditor(title: "t", bytes: Array("GET /\r\n".utf8))
        #expect(String(text.text) == "GET /\\r\\n")
        #expect(text.cursor == 9 && text.mode == .text && text.error == nil)
        #expect(text.original == Array("GET /\r\n".utf8))
        #expect(!text.changed)
        let hex = ChunkEditor(title: "t", bytes: Array("HELLO".utf8), mode: .hex)
        #expect(String(hex.text) == "48 45 4c 4c 4f")
        #expect(hex.cursor == 14)
        let empty = ChunkEditor(title: "t", bytes: [], mode: .hex)
        #expect(empty.text.isEmpty && empty.cursor == 0 && empty.bytes() == .success([]))
    }

    // MARK: editing

    @Test func insertsAtTheStartTheMiddleAndTheEnd() {
        var e = editor("bd")
        keys(&e, .home)
        type(&e, "a")
        #expect(String(e.text) == "abd" && e.cursor == 1)
        keys(&e, .right)
        type(&e, "c")
        #expect(String(e.text) == "abcd" && e.cursor == 3)
        keys(&e, .end)
        type(&e, "e")
        #expect(String(e.text) == "abcde" && e.cursor == 5)
        #expect(e.bytes() == .success(Array("abcde".utf8)))
    }

    @Test func backspaceAndDeleteAtTheEdgesAndInTheMiddle() {
        var e = editor("abcd", cursor: 0)
        keys(&e, .backspace)
        #expect(String(e.text) == "abcd" && e.cursor == 0)
        keys(&e, .delete)
        #expect(String(e.text) == "bcd" && e.cursor == 0)
        keys(&e, .end, .delete)
        #expect(String(e.text) == "bcd" && e.cursor == 3)
        keys(&e, .backspace)
        #expect(String(e.text) == "bc" && e.cursor == 2)
        keys(&e, .left, .backspace)
        #expect(String(e.text) == "c" && e.cursor == 0)
        keys(&e, .right, .left, .delete)
        #expect(e.text.isEmpty && e.cursor == 0)
        keys(&e, .backspace, .delete)
        #expect(e.text.isEmpty && e.cursor == 0)
    }

    @Test func movesByOneCharacterAndStopsAtTheEnds() {
        var e = editor("abc")
        keys(&e, .right)
        #expect(e.cursor == 3)
        keys(&e, .left, .left, .left, .left)
        #expect(e.cursor == 0)
        keys(&e, .end)
        #expect(e.cursor == 3)
        keys(&e, .home)
        #expect(e.cursor == 0)
    }

    @Test func upAndDownMoveByTheLineWidth() {
        var e = editor(String(repeating: "x", count: 25), cursor: 12)
        #expect(e.lineWidth == 64)
        e.setWidth(10)
        keys(&e, .up)
        #expect(e.cursor == 2)
        keys(&e, .up)
        #expect(e.cursor == 0)
        keys(&e, .down, .down)
        #expect(e.cursor == 20)
        keys(&e, .down)
        #expect(e.cursor == 25)
        e.setWidth(0)
        #expect(e.lineWidth == 1)
    }

    @Test func escapeCancelsAndOtherKeysChangeNothing() {
        var e = editor("ab\\q")
        #expect(e.handle(.enter) == .editing)
        let before = e
        for key in [Key.pageUp, .pageDown, .backTab, .resize] {
            #expect(e.handle(key) == .editing)
        }
        #expect(e == before)
        #expect(e.handle(.escape) == .cancelled)
    }

    @Test func controlCharactersAreRefusedAsInput() {
        var e = editor("ab")
        for c: Character in ["\u{1b}", "\u{7f}", "\u{85}", "\r\n", "\0"] {
            #expect(e.handle(.char(c)) == .editing)
            #expect(String(e.text) == "ab" && e.cursor == 2)
            #expect(e.error == ChunkEditor.controlInputError)
        }
        type(&e, "é")
        #expect(e.error == nil)
        #expect(e.bytes() == .success([0x61, 0x62, 0xc3, 0xa9]))
    }

    // MARK: parsing and submitting

    @Test func enterSubmitsTheEscapedBytes() {
        var e = ChunkEditor(title: "inject", bytes: [])
        type(&e, "PING\\r\\n\\x00\\\\")
        #expect(e.handle(.enter) == .submitted([0x50, 0x49, 0x4e, 0x47, 0x0d, 0x0a, 0x00, 0x5c]))
        var crlf = ChunkEditor(title: "inject", bytes: [])
        type(&crlf, "\\r\\n")
        #expect(crlf.handle(.enter) == .submitted([0x0d, 0x0a]))
        var empty = ChunkEditor(title: "edit", bytes: [1, 2])
        for _ in 0..<8 { keys(&empty, .backspace) }
        #expect(empty.text.isEmpty)
        #expect(empty.handle(.enter) == .submitted([]))
    }

    @Test func aParseErrorKeepsTheTextAndNamesThePosition() {
        var e = editor("ab\\qcd", cursor: 1)
        #expect(e.handle(.enter) == .editing)
        #expect(e.error == "unknown escape \\q at character 3")
        #expect(String(e.text) == "ab\\qcd" && e.cursor == 1 && e.mode == .text)
        #expect(e.handle(.tab) == .editing)
        #expect(e.mode == .text && String(e.text) == "ab\\qcd" && e.cursor == 1)
        #expect(e.error == "unknown escape \\q at character 3")
        #expect(e.summary == "0 B → ?" && e.changed)
        keys(&e, .right)
        #expect(e.error == nil)  // the next key clears it

        var short = editor("ok\\x4")
        #expect(short.bytes() == .failure(.init(position: 3, reason: "\\x needs two hex digits")))
        var lone = editor("ok\\")
        #expect(lone.bytes() == .failure(.init(position: 3, reason: "a lone \\ at the end")))
        _ = short.handle(.enter)
        _ = lone.handle(.enter)
        #expect(short.error == "\\x needs two hex digits at character 3")
        #expect(lone.error == "a lone \\ at the end at character 3")
    }

    @Test func errorPositionsCountTypedCharactersNotScalars() {
        // A flag is one Character of two scalars; ByteEscapes counts scalars.
        var e = ChunkEditor(title: "t", bytes: [])
        #expect(e.handle(.char("🇫🇷")) == .editing)
        type(&e, "a\\q")
        #expect(e.text.count == 4)
        #expect(e.bytes() == .failure(.init(position: 3, reason: "unknown escape \\q")))
    }

    @Test func tabRoundTripsEveryByteValue() {
        let all = (0...255).map { UInt8($0) }
        var e = ChunkEditor(title: "t", bytes: all + all.reversed())
        let encoded = e.text
        #expect(e.handle(.tab) == .editing)
        #expect(e.mode == .hex && e.error == nil && e.cursor == e.text.count)
        #expect(e.text.count == 512 * 3 - 1)
        #expect(String(e.text.prefix(12)) == "00 01 02 03 ")
        #expect(e.bytes() == .success(all + all.reversed()))
        #expect(e.handle(.tab) == .editing)
        #expect(e.mode == .text && e.text == encoded && e.cursor == e.text.count)
        #expect(e.handle(.enter) == .submitted(all + all.reversed()))
        #expect(!e.changed && e.summary == "512 B → 512 B")
    }

    @Test func tabTurnsTypedTextIntoHexAndBack() {
        var e = editor("A\\n")
        keys(&e, .tab)
        #expect(String(e.text) == "41 0a")
        type(&e, "FF")
        #expect(e.bytes() == .success([0x41, 0x0a, 0xff]))
        keys(&e, .tab)
        #expect(e.mode == .text && String(e.text) == "A\\n\\xff")
    }

    // MARK: hex mode

    @Test func hexModeTakesOnlyHexDigitsAndSpaces() {
        var e = ChunkEditor(title: "t", bytes: [0x41], mode: .hex)
        for c: Character in ["g", "G", "x", "\\", "٣", "Ａ", "é"] {
            #expect(e.handle(.char(c)) == .editing)
            #expect(String(e.text) == "41" && e.cursor == 2, "\(c)")
            #expect(e.error == ChunkEditor.hexInputError)
        }
        type(&e, " aB 0")
        #expect(e.error == nil && String(e.text) == "41 aB 0")
        #expect(e.handle(.enter) == .editing)
        #expect(e.error == "an odd number of hex digits at character 7")
        type(&e, "9")
        #expect(e.handle(.enter) == .submitted([0x41, 0xab, 0x09]))
    }

    @Test func hexParsingIgnoresWhitespaceAndReportsBadDigitsAndOddCounts() {
        #expect(ChunkEditor.parseHex(Array(" 4 8\n4\t5  ")) == .success([0x48, 0x45]))
        #expect(ChunkEditor.parseHex(Array("DEADbeef")) == .success([0xde, 0xad, 0xbe, 0xef]))
        #expect(ChunkEditor.parseHex([]) == .success([]))
        #expect(
            ChunkEditor.parseHex(Array("48 4g")) == .failure(.init(position: 5, reason: "not a hex digit: g"))
        )
        #expect(
            ChunkEditor.parseHex(Array("48 4 "))
                == .failure(.init(position: 4, reason: "an odd number of hex digits"))
        )
        #expect(
            ChunkEditor.parseHex(Array("Ａ1")) == .failure(.init(position: 1, reason: "not a hex digit: Ａ")))
        var odd = editor("48 4", mode: .hex)
        keys(&odd, .tab)
        #expect(odd.mode == .hex && String(odd.text) == "48 4")
        #expect(odd.error == "an odd number of hex digits at character 4")
        #expect(odd.summary(ascii: true) == "0 B -> ?")
    }

    // MARK: layout

    @Test func layoutWrapsAtTheWidthAndPlacesTheCursor() {
        let e = editor("abcdefghij", cursor: 5)
        let wrapped = e.lines(width: 4)
        #expect(wrapped.lines == ["abcd", "efgh", "ij"])
        #expect(wrapped.cursorLine == 1 && wrapped.cursorColumn == 1)
        #expect(editor("abcdefghij", cursor: 3).lines(width: 4).cursorColumn == 3)
        let atEnd = editor("abcdefghij").lines(width: 4)
        #expect(atEnd.cursorLine == 2 && atEnd.cursorColumn == 2)
        let home = editor("abcdefghij", cursor: 0).lines(width: 4)
        #expect(home.cursorLine == 0 && home.cursorColumn == 0)
    }

    @Test func aCursorAfterAFullLineIsAtTheStartOfTheNext() {
        let full = editor("abcdefgh").lines(width: 4)
        #expect(full.lines == ["abcd", "efgh", ""])
        #expect(full.cursorLine == 2 && full.cursorColumn == 0)
        let between = editor("abcdefgh", cursor: 4).lines(width: 4)
        #expect(between.lines == ["abcd", "efgh", ""])
        #expect(between.cursorLine == 1 && between.cursorColumn == 0)
        let empty = editor("").lines(width: 4)
        #expect(empty.lines == [""] && empty.cursorLine == 0 && empty.cursorColumn == 0)
        let narrow = editor("ab").lines(width: 0)  // counts as 1
        #expect(narrow.lines == ["a", "b", ""] && narrow.cursorLine == 2)
    }

    @Test func layoutCountsTheColumnsTheGridGivesEachCharacter() {
        // A wide character takes two columns and is never split.
        let wide = editor("ab漢c", cursor: 2).lines(width: 3)
        #expect(wide.lines == ["ab", "漢c", ""])
        #expect(wide.cursorLine == 1 && wide.cursorColumn == 0)
        let after = editor("ab漢c", cursor: 3).lines(width: 3)
        #expect(after.cursorLine == 1 && after.cursorColumn == 2)
        // On an ASCII grid é is drawn as \xe9: four columns.
        let ascii = editor("aé", cursor: 1).lines(width: 4, ascii: true)
        #expect(ascii.lines == ["a", "\\xc3\\xa9", ""])
        #expect(ascii.cursorLine == 1 && ascii.cursorColumn == 0)
        #expect(editor("aé").lines(width: 4).lines == ["aé"])
    }

    // MARK: drawing

    func draw(
        _ e: ChunkEditor, width: Int = 40, height: Int = 12, y: Int = 2, rows: Int = 8, ascii: Bool = false
    )
        -> CellGrid
    {
        var grid = CellGrid(width: width, height: height, ascii: ascii)
        for row in 0..<height { grid.fill("#", y: row) }
        ScreenRenderer.drawEditor(&grid, e, y: y, height: rows)
        GridAssertions.checkCells(grid)
        return grid
    }

    func reversed(_ grid: CellGrid) -> [(x: Int, y: Int)] {
        var out: [(x: Int, y: Int)] = []
        for y in 0..<grid.height {
            for x in 0..<grid.width where grid[x, y].style.reverse && grid[x, y].style.role != .title {
                out.append((x, y))
            }
        }
        return out
    }

    @Test func drawsTheTitleTheWrappedTextTheCursorAndTheHelp() {
        var e = ChunkEditor(title: "edit the held chunk  client → server #3", bytes: Array("PING\r\n".utf8))
        type(&e, String(repeating: "abcdefghij", count: 7))
        keys(&e, .left)
        #expect(e.text.count == 78 && e.cursor == 77)  // PING\r\n is 8 characters typed
        let grid = draw(e, width: 70, height: 12, y: 2, rows: 8)
        let rows = GridAssertions.rows(grid)
        #expect(rows[0] == String(repeating: "#", count: 70) && rows[1] == rows[0])
        #expect(rows[10] == rows[0] && rows[11] == rows[0])  // outside the area: untouched
        #expect(rows[2].hasPrefix(" edit the held chunk  client → server #3 "))
        #expect(rows[2].hasSuffix("text mode  6 B → 76 B"))
        #expect(grid[0, 2].style.reverse && grid[69, 2].style.reverse && grid[0, 2].style.role == .title)
        let width = ScreenRenderer.editorTextWidth(screenWidth: 70)
        #expect(width == 68)
        let text = String(e.text)
        #expect(rows[3] == " " + text.prefix(68))
        #expect(rows[4] == " " + text.dropFirst(68))
        #expect(rows[5...8].allSatisfy { $0.isEmpty })
        #expect(rows[9].hasPrefix(" Enter send  Esc cancel  Tab hex/text  ←→ move  \\r \\n \\xNN escapes"))
        #expect(grid[1, 9].style.role == .help)
        let layout = e.lines(width: width)
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 9)
        let cursor = reversed(grid)
        #expect(cursor.count == 1)
        #expect(cursor.first?.x == 10 && cursor.first?.y == 4)
        #expect(grid[10, 4].character == "j" && e.text[e.cursor] == "j")
    }

    @Test func aCursorAtTheEndIsAReverseSpace() {
        let e = editor("abc")
        let grid = draw(e, y: 0, rows: 5)
        let cursor = reversed(grid)
        #expect(cursor.count == 1 && cursor.first?.x == 4 && cursor.first?.y == 1)
        #expect(grid[4, 1].character == " ")
        let full = editor(String(repeating: "z", count: 38))  // exactly one full line at width 40
        let fullGrid = draw(full, y: 0, rows: 5)
        #expect(reversed(fullGrid).map(\.y) == [2] && reversed(fullGrid).map(\.x) == [1])
        #expect(GridAssertions.rows(fullGrid)[1] == " " + String(repeating: "z", count: 38))
    }

    @Test func scrollsToKeepTheCursorLineVisible() {
        // 40 full lines of 18 (lines 0…39), then 5 more: the cursor at the end is on line 40.
        let lines = (0..<40).map { i in
            String(repeating: Character(UnicodeScalar(UInt8(65 + i % 26))), count: 18)
        }
        var e = ChunkEditor(title: "t", bytes: Array((lines.joined() + "tail!").utf8))
        e.setWidth(ScreenRenderer.editorTextWidth(screenWidth: 20))
        let layout = e.lines(width: 18)
        #expect(layout.cursorLine == 40 && layout.cursorColumn == 5)
        let grid = draw(e, width: 20, height: 10, y: 2, rows: 6)
        let rows = GridAssertions.rows(grid)
        // title, 4 body rows, help
        #expect(rows[2].hasPrefix(" t"))
        #expect(rows[3...6] == [" " + lines[37], " " + lines[38], " " + lines[39], " tail!"])
        #expect(reversed(grid).map(\.y) == [6] && reversed(grid).map(\.x) == [6])
        #expect(rows[7].hasPrefix(" Enter send"))
        #expect(rows[8] == String(repeating: "#", count: 20))

        var top = e
        _ = top.handle(.home)
        let topRows = GridAssertions.rows(draw(top, width: 20, height: 10, y: 2, rows: 6))
        #expect(topRows[3...6] == [" " + lines[0], " " + lines[1], " " + lines[2], " " + lines[3]])
        var middle = e
        for _ in 0..<20 { _ = middle.handle(.up) }  // line 20, column 5
        let middleGrid = draw(middle, width: 20, height: 10, y: 2, rows: 6)
        #expect(
            GridAssertions.rows(middleGrid)[3...6] == [
                " " + lines[17], " " + lines[18], " " + lines[19], " " + lines[20],
            ])
        #expect(reversed(middleGrid).map(\.y) == [6] && reversed(middleGrid).map(\.x) == [6])
    }

    @Test func showsTheErrorLineAndGivesRowsUpInOrder() {
        var e = editor("ab\\q")
        _ = e.handle(.enter)
        let grid = draw(e, y: 0, rows: 6, ascii: false)
        let rows = GridAssertions.rows(grid)
        #expect(rows[4] == " unknown escape \\q at character 3")
        #expect(grid[1, 4].style.role == .error)
        #expect(rows[5].hasPrefix(" Enter send"))
        // Three rows: title, text, error; two: title, text; one: the text only.
        let three = GridAssertions.rows(draw(e, y: 0, rows: 3))
        #expect(three[0].hasPrefix(" t") && three[1] == " ab\\q" && three[2].hasPrefix(" unknown escape"))
        let two = GridAssertions.rows(draw(e, y: 0, rows: 2))
        #expect(two[0].hasPrefix(" t") && two[1] == " ab\\q" && two[2].hasPrefix("#"))
        let oneGrid = draw(e, y: 5, rows: 1)
        #expect(GridAssertions.rows(oneGrid)[5] == " ab\\q")
        #expect(reversed(oneGrid).map(\.y) == [5])
    }

    @Test func anASCIIGridGetsOnlyASCII() {
        var e = ChunkEditor(title: "edit the held chunk  client → server #3", bytes: [0xff, 0x0d])
        type(&e, "é漢")
        let grid = draw(e, width: 80, height: 8, y: 0, rows: 8, ascii: true)  // checkCells: ASCII only
        let rows = GridAssertions.rows(grid)
        #expect(rows[0].hasSuffix("text mode  2 B -> 7 B"))
        #expect(rows[1] == " \\xff\\r\\xc3\\xa9\\xe6\\xbc\\xa2")  // what é and 漢 stand for
        #expect(rows[7].contains("<- -> move") && rows[7].contains("\\r \\n \\xNN escapes"))
        #expect(reversed(grid).map(\.x) == [27])
        _ = e.handle(.tab)
        let hex = GridAssertions.rows(draw(e, width: 80, height: 8, y: 0, rows: 8, ascii: true))
        #expect(hex[0].hasSuffix("hex mode  2 B -> 7 B"))
        #expect(hex[1] == " ff 0d c3 a9 e6 bc a2")
    }

    @Test func narrowHelpDropsWholeItems() {
        let rows = GridAssertions.rows(draw(editor("x"), width: 40, y: 0, rows: 4))
        #expect(rows[3] == " Enter send  Esc cancel  Tab hex/text")
    }
}

import FlowCore
import FlowEvents
import FlowTapKit
import FlowTapUI
import NIOCore
import Testing

/// Issue 14, Deliver 3: the bytes per hex row depend on the pane's width only (16 where it fits,
/// else 8, else 4), whatever the chunks' lengths and marks; the marks start in one column.
@Suite struct HexLayoutTests {
    /// One client → server direction with every kind of chunk: forwarded (3 B and 20 B), an
    /// original replaced by its edit, a dropped chunk, an injection, and a held chunk.
    static func mixed() -> InspectorModel {
        let c2s = Direction.c2s
        func data(_ offset: Int, _ text: String) -> SessionEvent.Kind {
            .data(c2s, offset: offset, bytes: Fixtures.buffer(text))
        }
        return Fixtures.model([
            (1, 0, .open(client: Fixtures.client1, target: Fixtures.target)),
            (1, 1, data(0, "abc")),
            (1, 2, data(3, "twenty bytes of text")),
            (
                1, 3,
                .edit(
                    c2s, originalBytes: 15, originalSHA256: "", bytes: 16,
                    original: Fixtures.buffer("SET color red\r\n"))
            ),
            (1, 3, data(23, "SET color blue\r\n")),
            (1, 4, .drop(c2s, bytes: 14, sha256: "", original: Fixtures.buffer("DEBUG secret\r\n"))),
            (1, 5, .inject(c2s, bytes: 6)),
            (1, 5, data(39, "INJ!\r\n")),
            (1, 6, .pause(c2s)),
            (1, 7, .held(c2s, HeldChunk(number: 1, bytes: Fixtures.buffer("AFTER and more than eight\r\n")))),
        ])
    }

    /// The hex rows of the client → server pane at `width` columns.
    static func rows(width: Int) -> [String] {
        var view = ViewState(ascii: false, live: true, now: Fixtures.t0)
        view.times = false  // the rows beside the time column: TimeColumnTests
        let (grid, _) = ScreenRenderer.render(mixed().snapshot(), view, width: width, height: 90)
        GridAssertions.checkCells(grid)
        return GridAssertions.rows(grid).filter { $0.wholeMatch(of: /^ [0-9a-f]{8}  .*/) != nil }
    }

    /// The bytes shown on a hex row (the pairs of hex digits before the text column).
    static func byteCount(_ row: String) -> Int {
        let hex = row.dropFirst(11).prefix { $0 != "|" }
        return hex.split(separator: " ").count
    }

    @Test(arguments: [(100, 16), (60, 8), (44, 4)])
    func rowsHoldTheSameNumberOfBytesWhateverTheMarks(width: Int, perRow: Int) throws {
        let rows = Self.rows(width: width)
        // Every kind of chunk is there, marked.
        for mark in ["(edited)", "(injected)", "(held)", "(original", "(dropped"] {
            #expect(rows.contains { $0.contains(mark) }, "\(mark) at \(width): \(rows)")
        }
        // Every row of a chunk but its last holds exactly perRow bytes; none holds more.
        for row in rows { #expect(Self.byteCount(row) <= perRow, "\(width): \(row)") }
        let full = rows.filter { Self.byteCount($0) == perRow }
        #expect(full.count >= 3, "\(width): \(rows)")
        // The text column ends in the same column on every full row, and every mark starts in
        // one column.
        let ends = Set(full.map { $0.firstRange(of: "|")!.lowerBound.utf16Offset(in: $0) })
        #expect(ends.count == 1, "\(width): \(full)")
        let marks = Set(
            rows.compactMap { row in
                row.firstRange(of: "   (").map { row.distance(from: row.startIndex, to: $0.lowerBound) }
            })
        #expect(marks.count == 1, "\(width): \(rows)")
        for row in rows { #expect(row.count <= width, "\(width): cut \(row)") }
    }

    @Test func wideEnoughPanesSayNotSentInFull() {
        let rows = Self.rows(width: 120)
        #expect(rows.contains { $0.hasSuffix("|SET color red..|    (original, not sent)") }, "\(rows)")
        let narrow = Self.rows(width: 100)
        #expect(narrow.contains { $0.hasSuffix("   (original)") }, "\(narrow)")
    }
}

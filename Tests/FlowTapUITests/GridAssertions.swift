import FlowTapKit
import FlowTapUI
import Testing

/// Checks every grid must pass.
enum GridAssertions {
    /// No control character (C0, DEL, C1) in any cell; wide characters whole.
    static func checkCells(_ grid: CellGrid, sourceLocation: SourceLocation = #_sourceLocation) {
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                for scalar in cell.character.unicodeScalars {
                    let v = scalar.value
                    #expect(
                        !(v < 0x20 || (0x7f..<0xa0).contains(v)), "control \(v) at \(x),\(y)",
                        sourceLocation: sourceLocation)
                    if grid.ascii {
                        #expect(v < 0x80, "non-ASCII \(v) at \(x),\(y)", sourceLocation: sourceLocation)
                    }
                }
                #expect(cell.character.unicodeScalars.count == 1, sourceLocation: sourceLocation)
                if cell.isContinuation {
                    #expect(
                        x > 0 && !grid[x - 1, y].isContinuation, "orphan half at \(x),\(y)",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// The trimmed text of each row.
    static func rows(_ grid: CellGrid) -> [String] {
        grid.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

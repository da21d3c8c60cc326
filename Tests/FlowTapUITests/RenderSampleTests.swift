import FlowTapKit
import FlowTapUI
import Testing

@Suite struct RenderSampleTests {
    @Test func sample80x24() {
        let snapshot = Fixtures.redis().snapshot()
        let view = ViewState(ascii: false, live: true, now: Fixtures.t0 + 12 * Fixtures.second)
        let (grid, _) = ScreenRenderer.render(snapshot, view, width: 80, height: 24)
        print(grid.text)
        let (grid2, _) = ScreenRenderer.render(snapshot, view, width: 40, height: 10)
        print(grid2.text)
        var v3 = view
        v3.pane = .conversation
        v3.hex = false
        v3.ascii = true
        let (grid3, _) = ScreenRenderer.render(snapshot, v3, width: 100, height: 20)
        print(grid3.text)
    }
}

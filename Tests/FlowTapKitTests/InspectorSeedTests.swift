import FlowCore
import FlowEvents
import Testing

@testable import FlowTapKit

/// What the UI's fault menu relies on: a fault read back from its description and seeded by
/// ``Inspector/setFaults(session:direction:_:)`` equals the one `--fault` made active, so an
/// unchanged fault is kept as it is (no event, no restart).
@Suite struct InspectorSeedTests {
    @Test(arguments: ["latency=200ms", "latency=200ms~50ms", "slice=16,delay=10ms", "blackhole"])
    func aFaultReadBackFromItsDescriptionIsSeededAlike(_ text: String) throws {
        for direction in Direction.allCases {
            let given = try FaultSpec.parse("\(direction.rawValue):\(text)").fault
            let active = Inspector.seeded(given, session: 3, direction: direction)
            #expect(active.description == text)
            let readBack = try FaultSpec.parse("\(direction.rawValue):\(active)").fault
            #expect(Inspector.seeded(readBack, session: 3, direction: direction) == active)
            #expect(Inspector.seeded(active, session: 3, direction: direction) == active)
        }
    }
}

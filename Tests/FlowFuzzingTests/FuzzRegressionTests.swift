import FlowFuzzing
import Foundation
import Testing

/// The fuzz targets on checked-in inputs: every seed of `Fuzz/Corpus`, and every input a fuzzer
/// once crashed on (`Inputs/`), through the very function libFuzzer calls.
@Suite("Fuzz targets on the corpus and on past crashes")
struct FuzzRegressionTests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func files(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.lastPathComponent != "README.md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private static func run(_ name: String, _ file: URL) throws {
        let target = try #require(FuzzTarget.named(name))
        target.run(Array(try Data(contentsOf: file)))
    }

    @Test("each target has seeds, and each seed runs clean", arguments: FuzzTarget.all.map(\.name))
    func corpus(_ name: String) throws {
        let seeds = try Self.files(in: Self.repository.appending(path: "Fuzz/Corpus/\(name)"))
        #expect(!seeds.isEmpty)
        for seed in seeds { try Self.run(name, seed) }
    }

    @Test(
        "every input a fuzzer once failed on runs clean (Inputs/TARGET/)",
        arguments: FuzzTarget.all.map(\.name))
    func pastFailures(_ name: String) throws {
        let folder = Self.repository.appending(path: "Tests/FlowFuzzingTests/Inputs/\(name)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        for file in try Self.files(in: folder) { try Self.run(name, file) }
    }

    /// Found by the `capture` target (160 bytes, minimised): a big-endian pcapng whose
    /// `if_tsoffset` puts its packets in the year 2550. `view --json` printed `"t":18313794424.068230`,
    /// which the event schema refused to decode (it took at most 1.8e10 s), so a capture written
    /// from these events (`w`) could not be opened again. The schema now takes every time a
    /// `UInt64` of nanoseconds holds.
    @Test("a capture stamped in the year 2550 gives JSON events that decode again")
    func farFutureTimestamp() throws {
        try Self.run(
            "capture",
            Self.repository.appending(
                path: "Tests/FlowFuzzingTests/Inputs/capture/far-future-timestamp.pcapng"))
    }
}

/// The structure-aware mutation of the `capture` target keeps a pcapng file's blocks whole.
@Suite("PcapngMutation")
struct PcapngMutationTests {
    private static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fuzz/Corpus/capture/flowtap-ipv4.pcapng")

    @Test("with an identity mutator, a body mutation gives the file back")
    func identity() throws {
        let bytes = Array(try Data(contentsOf: Self.seed))
        for random: UInt32 in [3, 0x1234_5603, 0xFFFF_FF0F] {
            let out = PcapngMutation.mutate(bytes, maxSize: 1 << 20, random: random) { part, _ in part }
            #expect(out == bytes)
        }
    }

    @Test("grown bodies and duplicated blocks still parse as whole blocks")
    func lengths() throws {
        let bytes = Array(try Data(contentsOf: Self.seed))
        for random in (0..<200).map({ UInt32($0) &* 2_654_435_761 }) {
            let out = try #require(
                PcapngMutation.mutate(bytes, maxSize: 1 << 20, random: random) { part, _ in part + [1, 2, 3] }
            )
            var offset = 0
            while offset < out.count {
                let length = out[offset + 4..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
                #expect(length >= 12 && length % 4 == 0 && offset + length <= out.count)
                offset += max(length, 12)
            }
            #expect(offset == out.count)
        }
    }
}

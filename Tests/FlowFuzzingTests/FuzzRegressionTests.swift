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
}

// swift-tools-version:6.0
import PackageDescription

// Layers (DESIGN.md §1), imports point down only:
//   flowtap (executable) → FlowTapUI → FlowTapKit → FlowTransport, FlowCapture, FlowFaults, FlowFramers
//   FlowCapture → FlowEvents → FlowCore;  FlowFaults → FlowCore;  FlowFramers → FlowCore
// FlowCore is the mirage-flow port only; FlowFaults (the fault combinators) sits on it;
// FlowEvents is the one event model the engine, the logs and the captures share.
// Every target of this package: nonisolated async functions run on their caller's executor
// (SE-0461) instead of hopping to the generic one at each call. flowtap has no actors, so nothing
// changes where code runs; what goes is a `swift_task_switch` (and its task-executor lookup under
// the task's status lock) at every async call of the data path: about 60 per Redis request.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "flowtap",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FlowCore", targets: ["FlowCore"]),
        .library(name: "FlowFaults", targets: ["FlowFaults"]),
        .library(name: "FlowFramers", targets: ["FlowFramers"]),
        .library(name: "FlowTransport", targets: ["FlowTransport"]),
        .library(name: "FlowEvents", targets: ["FlowEvents"]),
        .library(name: "FlowCapture", targets: ["FlowCapture"]),
        .library(name: "FlowTapKit", targets: ["FlowTapKit"]),
        // The fuzzing entry points, for the libFuzzer package in Fuzz/ (Fuzz/README.md).
        .library(name: "FlowFuzzing", targets: ["FlowFuzzing"]),
        .executable(name: "flowtap", targets: ["flowtap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // NIOSOCKS: the SOCKS5 messages of `socks5-listen:` (issue 16).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // TLS (issue 15): termination and origination, the local CA and its leaf certificates.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(
            name: "FlowCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlowFaults",
            dependencies: [
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Message decoders (issue 13): pure logic below FlowTransport, so the proxy listeners can
        // reuse the HTTP/1 framer.
        .target(
            name: "FlowFramers",
            dependencies: [
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlowTransport",
            dependencies: [
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSOCKS", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one event model: what happened in a session, shared by the engine, the logs and
        // the captures.
        .target(
            name: "FlowEvents",
            dependencies: [
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlowCapture",
            dependencies: [
                "FlowEvents",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlowTapKit",
            dependencies: [
                "FlowCore",
                "FlowFaults",
                "FlowFramers",
                "FlowTransport",
                "FlowCapture",
                "FlowEvents",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzzing entry points: what the libFuzzer executable in Fuzz/ and the regression
        // tests of FlowFuzzingTests both run.
        .target(
            name: "FlowFuzzing",
            dependencies: [
                "FlowCapture", "FlowCore", "FlowEvents", "FlowFramers", "FlowTapKit", "FlowTransport",
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CNcurses",
            path: "CNcurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        .target(
            name: "FlowTapUI",
            dependencies: [
                "CNcurses",
                "FlowCore",
                "FlowFaults",
                "FlowCapture",
                "FlowEvents",
                "FlowTapKit",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "flowtap",
            dependencies: [
                "FlowCore",
                "FlowTransport",
                "FlowCapture",
                "FlowEvents",
                "FlowFramers",
                "FlowTapKit",
                "FlowTapUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FlowCoreExample",
            dependencies: ["FlowCore"],
            path: "Examples/FlowCoreExample",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "flowcore-bench",
            dependencies: [
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/FlowCoreBenchmark",
            swiftSettings: swiftSettings
        ),
        // What decoding costs on the data path (issue 13's benchmark rows).
        .executableTarget(
            name: "framers-bench",
            dependencies: ["FlowFramers"],
            path: "Benchmarks/FramersBenchmark",
            swiftSettings: swiftSettings
        ),
        // The yardstick of Benchmarks/proxy-bench.sh: a bare SwiftNIO forwarder, no flowtap code.
        .executableTarget(
            name: "bare-nio-proxy",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/BareNIOProxy",
            swiftSettings: swiftSettings
        ),
        // What several test targets share about the machine (not a test target itself).
        // Without the upcoming feature: its test traits implement Swift Testing's `TestScoping`,
        // whose `provideScope` is `@concurrent` (the Testing module is built without it).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Flow helpers and the seeded generator the FlowCore and FlowFaults tests share.
        .target(
            name: "FlowTestSupport",
            dependencies: [
                "FlowCore",
                "FlowFaults",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/FlowTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowCoreTests",
            dependencies: [
                "TestSupport",
                "FlowTestSupport",
                "FlowCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowEventsTests",
            dependencies: [
                "FlowCore",
                "FlowEvents",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowFaultsTests",
            dependencies: [
                "FlowTestSupport",
                "FlowCore",
                "FlowFaults",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowFramersTests",
            dependencies: [
                "TestSupport",
                "FlowTestSupport",
                "FlowFramers",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // Recorded conversations (redis-cli, psql), read from the source tree by the tests.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowTransportTests",
            dependencies: [
                "TestSupport",
                "FlowCore",
                "FlowTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowCaptureTests",
            dependencies: [
                "TestSupport",
                "FlowCapture",
                "FlowEvents",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowTapKitTests",
            dependencies: [
                "TestSupport",
                "FlowCore",
                "FlowFaults",
                "FlowFramers",
                "FlowTransport",
                "FlowCapture",
                "FlowEvents",
                "FlowTapKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowFuzzingTests",
            dependencies: ["FlowFuzzing"],
            exclude: ["Inputs"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowTapUITests",
            dependencies: [
                "TestSupport",
                "FlowCore",
                "FlowFaults",
                "FlowTransport",
                "FlowCapture",
                "FlowEvents",
                "FlowTapKit",
                "FlowTapUI",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FlowtapCLITests",
            dependencies: [
                "TestSupport",
                "FlowCore",
                "FlowTransport",
                "FlowCapture",
                "FlowEvents",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

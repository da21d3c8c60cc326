// swift-tools-version:6.0
import PackageDescription

// The libFuzzer executable (README.md here). Build it only with the fuzzing flags, as run.sh does:
//   swift build --package-path Fuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Without them it has no `main` and does not link. The root package's own build never sees it.

// A path dependency is known by its folder's name, which is the checkout's (`flowtap`, a
// worktree's name, CI's clone): take it from where this manifest is.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "flowtap"

let package = Package(
    name: "flowtap-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "..")
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "flowtap-fuzz",
            dependencies: ["CLibFuzzer", .product(name: "FlowFuzzing", package: root)]
        ),
    ]
)

// swift-tools-version: 6.1
// Micro-benchmarks for Holdfast's hot path (package-benchmark). A separate package so the main
// build and CI stay fast: run with `scripts/bench-micro.sh` or
// `swift package --package-path Benchmarks benchmark`.
import PackageDescription

import struct Foundation.URL

/// SwiftPM names a path dependency after its directory, so the main package's identity is
/// whatever the checkout is called (holdfast, main, a worktree...).
let holdfast = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "HoldfastBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HoldfastBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DNSWire", package: holdfast),
                .product(name: "HoldfastCache", package: holdfast),
                .product(name: "HoldfastUpstream", package: holdfast),
                .product(name: "HoldfastResolver", package: holdfast),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HoldfastBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

// swift-tools-version:6.0
// libFuzzer targets for Holdfast. A separate package so the main build and CI never pay for
// the fuzzer flags. The library targets are symlinks to ../Sources (the main package exposes
// no library products), so these fuzzers always test the code in this checkout.
//
// Build and run with ../scripts/fuzz.sh; by hand:
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address
//   Fuzz/.build/release/FuzzWireCodec Fuzz/corpus/wire-codec -max_total_time=60
import PackageDescription

let package = Package(
    name: "HoldfastFuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "FuzzWireCodec", targets: ["FuzzWireCodec"]),
        .executable(name: "FuzzQueryPath", targets: ["FuzzQueryPath"]),
        .executable(name: "FuzzConfig", targets: ["FuzzConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .target(name: "CHoldfastH2", dependencies: ["CNGHTTP2"]),
        .target(name: "HoldfastTLS", dependencies: ["COpenSSL"]),
        .target(name: "DNSWire"),
        .target(name: "NetAddress"),
        .target(name: "HoldfastConfig", dependencies: ["NetAddress", "DNSWire"]),
        .target(name: "HoldfastCache", dependencies: ["DNSWire"]),
        .target(
            name: "HoldfastUpstream",
            dependencies: ["CAres", "CHoldfastH2", "DNSWire", "HoldfastTLS", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "HoldfastResolver",
            dependencies: ["DNSWire", "HoldfastCache", "HoldfastUpstream", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(name: "FuzzWireCodec", dependencies: ["DNSWire"]),
        .executableTarget(name: "FuzzConfig", dependencies: ["HoldfastConfig"]),
        .executableTarget(
            name: "FuzzQueryPath",
            dependencies: [
                "DNSWire", "HoldfastCache", "HoldfastUpstream", "HoldfastResolver",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

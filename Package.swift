// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Holdfast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "holdfastd", targets: ["holdfastd"]),
        .executable(name: "holdfastctl", targets: ["holdfastctl"]),
        // For the separate micro-benchmark and fuzzing packages (Benchmarks/, Fuzz/).
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "HoldfastCache", targets: ["HoldfastCache"]),
        .library(name: "HoldfastUpstream", targets: ["HoldfastUpstream"]),
        .library(name: "HoldfastResolver", targets: ["HoldfastResolver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // C library bridge: module map + shim header only.
        .systemLibrary(
            name: "CAres",
            pkgConfig: "libcares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        // The system OpenSSL (libssl3), for DNS over TLS: module map + shim header only.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Debian's libnghttp2, for DNS over HTTPS: module map + shim header only.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // A small HTTP/2 client session on nghttp2 (POST one DNS message per stream).
        .target(name: "CHoldfastH2", dependencies: ["CNGHTTP2"]),
        // recvmmsg/sendmmsg wrappers for the UDP listener (they need _GNU_SOURCE).
        .target(name: "CSocketBatch"),
        // DNS wire format: no dependencies.
        .target(name: "DNSWire"),
        // Socket addresses and IP prefixes: no dependencies.
        .target(name: "NetAddress"),
        .target(
            name: "HoldfastConfig",
            dependencies: ["NetAddress", "DNSWire", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        .target(name: "HoldfastCache", dependencies: ["DNSWire"]),
        // TLS client sessions over non-blocking sockets (OpenSSL): no DNS, no event loop.
        .target(name: "HoldfastTLS", dependencies: ["COpenSSL"]),
        .target(
            name: "HoldfastUpstream",
            dependencies: [
                "CAres", "CHoldfastH2", "DNSWire", "HoldfastTLS",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HoldfastResolver",
            dependencies: [
                "DNSWire", "HoldfastCache", "HoldfastUpstream",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HoldfastServer",
            dependencies: [
                "CSocketBatch",
                "DNSWire", "NetAddress", "HoldfastResolver",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "HoldfastControlModels"),
        .target(
            name: "HoldfastControlServer",
            dependencies: [
                "HoldfastControlModels",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HoldfastDaemon",
            dependencies: [
                "DNSWire", "NetAddress", "HoldfastConfig", "HoldfastCache", "HoldfastTLS", "HoldfastUpstream",
                "HoldfastResolver", "HoldfastServer", "HoldfastControlModels", "HoldfastControlServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "holdfastd",
            dependencies: [
                "HoldfastConfig", "HoldfastDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HoldfastCtl",
            dependencies: [
                "HoldfastControlModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "holdfastctl", dependencies: ["HoldfastCtl"]),
        .target(
            name: "HoldfastTestSupport",
            dependencies: [
                "DNSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DNSWireTests",
            dependencies: ["DNSWire", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"]),
        .testTarget(
            name: "HoldfastServerTests",
            dependencies: [
                "HoldfastServer", "HoldfastResolver", "HoldfastCache", "HoldfastUpstream", "NetAddress", "DNSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "HoldfastConfigTests", dependencies: ["HoldfastConfig", "DNSWire", "NetAddress"]),
        .testTarget(name: "HoldfastCacheTests", dependencies: ["HoldfastCache", "DNSWire"]),
        .testTarget(
            name: "HoldfastUpstreamTests",
            dependencies: ["HoldfastUpstream", "DNSWire", "HoldfastTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "HoldfastResolverTests",
            dependencies: [
                "HoldfastResolver", "HoldfastCache", "HoldfastUpstream", "DNSWire",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HoldfastControlTests",
            dependencies: [
                "HoldfastControlModels", "HoldfastControlServer", "HoldfastCtl",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HoldfastDaemonTests",
            dependencies: [
                "HoldfastDaemon", "HoldfastResolver", "HoldfastConfig", "HoldfastUpstream", "DNSWire",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HoldfastIntegrationTests",
            dependencies: ["DNSWire", "HoldfastTestSupport"]
        ),
    ]
)

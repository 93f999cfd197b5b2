// swift-tools-version: 6.2
//
// DeferredKit benchmark package.
//
// A separate SwiftPM package so the library itself carries no benchmark-only
// dependencies. Run it with:
//
//     swift run -c release --package-path Benchmarks DeferredKitBenchmarks
//
// See Benchmarks/RESULTS.md for flags and the latest results.

import PackageDescription

let package = Package(
    name: "DeferredKitBenchmarks",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(name: "DeferredKit", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/OpenCombine/OpenCombine", exact: "0.14.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", exact: "1.1.4"),
        // The adapters of Integrations/NIO, measured against NIO alone (CasesNIOAdapter.swift).
        .package(name: "DeferredKitNIO", path: "../Integrations/NIO"),
    ],
    targets: [
        /// Interposes malloc & friends with atomic counters (allocations/op, bytes/op).
        .target(
            name: "CMallocCounter"
        ),
        .executableTarget(
            name: "DeferredKitBenchmarks",
            dependencies: [
                "CMallocCounter",
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "DeferredKitNIO", package: "DeferredKitNIO"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OpenCombine", package: "OpenCombine"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
            ],
            linkerSettings: [
                // Export the interposed malloc symbols so shared libraries
                // (libswiftCore, libc++, ...) resolve to our counting versions.
                // A GNU ld flag: Linux only (Apple's linker exports them already).
                .unsafeFlags(["-Xlinker", "--export-dynamic"], .when(platforms: [.linux])),
            ]
        ),
    ]
)

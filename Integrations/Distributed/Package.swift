// swift-tools-version: 6.2
import PackageDescription

/// Distributed promises durable in PostgreSQL. A separate package so that the core library keeps no
/// dependencies; it depends on the root package by path and never the other way round.
let package = Package(
    name: "DeferredKitDistributed",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "DeferredKitDistributed", targets: ["DeferredKitDistributed"]),
        .executable(name: "dk-worker", targets: ["dk-worker"]),
        .executable(name: "dk-bench", targets: ["dk-bench"]),
    ],
    dependencies: [
        .package(name: "DeferredKit", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        .target(
            name: "DeferredKitDistributed",
            dependencies: [
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "dk-worker",
            dependencies: ["DeferredKitDistributed", "DistributedFixtures"]
        ),
        .executableTarget(
            name: "dk-bench",
            dependencies: ["DeferredKitDistributed", "DistributedFixtures"]
        ),
        // Handlers shared by dk-worker, the tests and the benchmark.
        .target(name: "DistributedFixtures", dependencies: ["DeferredKitDistributed"]),
        .executableTarget(name: "CountingMapper", dependencies: ["DeferredKitDistributed"], path: "Examples/CountingMapper"),
        .executableTarget(name: "Pipeline", dependencies: ["DeferredKitDistributed"], path: "Examples/Pipeline"),
        .testTarget(
            name: "DeferredKitDistributedTests",
            dependencies: ["DeferredKitDistributed", "DistributedFixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

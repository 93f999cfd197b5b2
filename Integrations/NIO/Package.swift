// swift-tools-version: 6.2
import PackageDescription

/// DeferredKitNIO: `EventLoopFuture` <-> `Deferred` adapters. A package of its own, so that DeferredKit
/// itself keeps no dependencies; in a published world it would be a repository of its own.
let package = Package(
    name: "DeferredKitNIO",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "DeferredKitNIO", targets: ["DeferredKitNIO"]),
    ],
    dependencies: [
        .package(name: "DeferredKit", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        .target(
            name: "DeferredKitNIO",
            dependencies: [
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DeferredKitNIOTests",
            dependencies: [
                "DeferredKitNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "SingleFlightServer",
            dependencies: [
                "DeferredKitNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Examples/SingleFlightServer"
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.2
import PackageDescription

/// DeferredKitCombine: `Deferred` <-> `Publisher` adapters. Apple's Combine where it exists, OpenCombine
/// elsewhere. A package of its own, so that DeferredKit itself keeps no dependencies; in a published world
/// it would be a repository of its own.
let platformsWithoutCombine: [Platform] = [.linux, .windows, .android, .wasi, .openbsd]

let package = Package(
    name: "DeferredKitCombine",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "DeferredKitCombine", targets: ["DeferredKitCombine"]),
    ],
    dependencies: [
        .package(name: "DeferredKit", path: "../.."),
        .package(url: "https://github.com/OpenCombine/OpenCombine", exact: "0.14.0"),
    ],
    targets: [
        .target(
            name: "DeferredKitCombine",
            dependencies: [
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(
                    name: "OpenCombine", package: "OpenCombine",
                    condition: .when(platforms: platformsWithoutCombine)),
            ]
        ),
        .testTarget(
            name: "DeferredKitCombineTests",
            dependencies: [
                "DeferredKitCombine",
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(
                    name: "OpenCombine", package: "OpenCombine",
                    condition: .when(platforms: platformsWithoutCombine)),
            ]
        ),
        .executableTarget(
            name: "CombineBridge",
            dependencies: [
                "DeferredKitCombine",
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(
                    name: "OpenCombine", package: "OpenCombine",
                    condition: .when(platforms: platformsWithoutCombine)),
            ],
            path: "Examples/CombineBridge"
        ),
    ],
    swiftLanguageModes: [.v6]
)

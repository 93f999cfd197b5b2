// swift-tools-version: 6.2
import PackageDescription

/// DeferredKitLogging: DeferredDiagnostics events to a swift-log `Logger`. A package of its own, so that
/// DeferredKit itself keeps no dependencies; in a published world it would be a repository of its own.
let package = Package(
    name: "DeferredKitLogging",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "DeferredKitLogging", targets: ["DeferredKitLogging"]),
    ],
    dependencies: [
        .package(name: "DeferredKit", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .target(
            name: "DeferredKitLogging",
            dependencies: [
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DeferredKitLoggingTests",
            dependencies: [
                "DeferredKitLogging",
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "LoggedDiagnostics",
            dependencies: [
                "DeferredKitLogging",
                .product(name: "DeferredKit", package: "DeferredKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/LoggedDiagnostics"
        ),
    ],
    swiftLanguageModes: [.v6]
)

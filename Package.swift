// swift-tools-version: 6.2
import PackageDescription

/// DeferredKit has no package dependencies: the library, its tests and its examples build from this
/// package alone. The benchmark package in `Benchmarks/` is separate and may depend on others.
let examples = ["Tour", "Taste", "ChainDepth", "DeferredInit", "LockStorm", "Avatars", "SMSQueue", "FlakyService", "ProgressDownload"]

let package = Package(
    name: "DeferredKit",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "DeferredKit", targets: ["DeferredKit"]),
    ],
    targets: [
        .target(name: "DeferredKit"),
        .testTarget(name: "DeferredKitTests", dependencies: ["DeferredKit"]),
    ] + examples.map { name in
        .executableTarget(name: name, dependencies: ["DeferredKit"], path: "Examples/\(name)")
    },
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.2
import PackageDescription

/// DeferredKit has no package dependencies: the library, its tests and its examples build from this
/// package alone. The benchmark package in `Benchmarks/` is separate and may depend on others.
let examples = ["Tour", "Taste", "ChainDepth", "DeferredInit", "LockStorm", "Avatars", "SMSQueue", "FlakyService", "ProgressDownload"]

let package = Package(
    name: "DeferredKit",
    // The floor is the one `Synchronization.Mutex` sets; the APIs that start work with `Task.immediate`
    // (tasklets, `Deferred(task)`, observing on an actor, and what is built on them) say `@available(… 26 …)`.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
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

// swift-tools-version: 6.2
//
// Instruction counts of DeferredKit's core operations, for the CI regression guard (`.ci/instructions`).
// A package of its own, depending on the library alone, so that the guard builds in seconds and counts
// nothing but DeferredKit: valgrind's callgrind counts the instructions, which — unlike time — are the
// same from run to run on a busy machine.

import PackageDescription

let package = Package(
    name: "InstructionCounts",
    platforms: [.macOS(.v26)],
    dependencies: [.package(name: "DeferredKit", path: "../..")],
    targets: [
        .executableTarget(
            name: "InstructionCounts",
            dependencies: [.product(name: "DeferredKit", package: "DeferredKit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

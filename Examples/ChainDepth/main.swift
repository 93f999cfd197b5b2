// Shows that no hand-off recurses: 1,000,000-link chains of every kind, in release mode.
// Run it with `swift run -c release ChainDepth` (a debug build works too, just more slowly).
import DeferredKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let depth = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
let clock = ContinuousClock()

func measure(_ label: String, _ body: () -> Bool) {
    let start = clock.now
    let ok = body()
    let elapsed = clock.now - start
    print(label + String(repeating: " ", count: max(1, 58 - label.count)) + (ok ? "ok" : "WRONG") + "  \(elapsed)")
    if !ok { exit(1) }
}

print("chain depth: \(depth)")
measure("map chain, completed at the root") {
    let root = Deferred<Int>()
    var tail = root
    for _ in 0..<depth { tail = tail.map { $0 + 1 } }
    root.resolve(0)
    return tail.result.flatMap { try? $0.get() } == depth
}
measure("flatMap chain returning pending Deferreds") {
    let start = Deferred<Int>()
    let innermost = Deferred<Int>()
    var outer = innermost
    for _ in 0..<depth { let next = outer; outer = start.flatMap { _ in next } }
    start.resolve(0)
    innermost.resolve(depth)
    return outer.result.flatMap { try? $0.get() } == depth
}
measure("flatMap chain returning completed Deferreds") {
    let root = Deferred<Int>()
    var tail = root
    for _ in 0..<depth { tail = tail.flatMap { .resolved($0 + 1) } }
    root.resolve(0)
    return tail.result.flatMap { try? $0.get() } == depth
}
measure("Deferreds each completed by the previous one's observer") {
    let ds = (0...depth).map { _ in Deferred<Int>() }
    for i in 0..<depth { let next = ds[i + 1]; ds[i].whenComplete { next.complete(with: $0.map { $0 + 1 }) } }
    ds[0].resolve(0)
    return ds[depth].result.flatMap { try? $0.get() } == depth
}
measure("cancelling the tail of a pending map chain") {
    let root = Deferred<Int>()
    var tail = root
    for _ in 0..<depth { tail = tail.map { $0 } }
    tail.cancel()
    return root.result.map { if case .failure(let e) = $0 { e is CancellationError } else { false } } ?? false
}
measure("dropping a pending map chain nobody holds") {
    weak var weakRoot: Deferred<Int>?
    do {
        let root = Deferred<Int>()
        weakRoot = root
        var tail = root
        for _ in 0..<depth { tail = tail.map { $0 } }
    }
    return weakRoot == nil
}

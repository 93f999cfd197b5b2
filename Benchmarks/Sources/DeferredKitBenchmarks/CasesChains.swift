// Long `map` / `flatMap` chains built on a pending root that is completed
// once the whole chain exists. ns/op is per link.

import DeferredKit
import NIOCore
import NIOEmbedded

func chainCases(smoke: Bool) -> [BenchCase] {
    let mapLengths = smoke ? [100, 1_000] : [10_000, 100_000, 1_000_000]
    let flatMapLengths = smoke ? [100] : [100_000]
    return mapLengths.map(mapChain) + flatMapLengths.map(flatMapChain)
}

// MARK: - map chain

private func mapChain(_ length: Int) -> BenchCase {
    BenchCase(
        name: "chain.map/n=\(length)",
        summary: "\(length)-link map chain on a pending root, then complete the root",
        opsPerIteration: length, opName: "link",
        contenders: [
            .ours { n in
                for _ in 0 ..< n {
                    let root = Deferred<Int>()
                    var d = root
                    for _ in 0 ..< length { d = d.map { $0 &+ 1 } }
                    d.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                    root.resolve(0)
                }
                checkChain(n, length)
            },
            .baseline("NIO map") { n in
                withEmbeddedLoop { loop in
                    for _ in 0 ..< n {
                        let root = loop.makePromise(of: Int.self)
                        var f = root.futureResult
                        for _ in 0 ..< length { f = f.map { $0 &+ 1 } }
                        f.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        root.succeed(0)
                    }
                }
                checkChain(n, length)
            },
        ],
        targets: [.time("NIO map", 1.3), .allocations("NIO map")],  // issue 11
        scaling: Scaling(series: "map chain", x: length))
}

// MARK: - flatMap chain

private func flatMapChain(_ length: Int) -> BenchCase {
    BenchCase(
        name: "chain.flatMap/n=\(length)",
        summary: "\(length)-link flatMap chain (each step returns an already-resolved promise) on a pending root",
        opsPerIteration: length, opName: "link",
        contenders: [
            .ours { n in
                for _ in 0 ..< n {
                    let root = Deferred<Int>()
                    var d = root
                    for _ in 0 ..< length { d = d.flatMap { Deferred<Int>.resolved($0 &+ 1) } }
                    d.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                    root.resolve(0)
                }
                checkChain(n, length)
            },
            .baseline("NIO flatMap") { n in
                withEmbeddedLoop { loop in
                    for _ in 0 ..< n {
                        let root = loop.makePromise(of: Int.self)
                        var f = root.futureResult
                        for _ in 0 ..< length { f = f.flatMap { loop.makeSucceededFuture($0 &+ 1) } }
                        f.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        root.succeed(0)
                    }
                }
                checkChain(n, length)
            },
        ],
        targets: [.time("NIO flatMap", 1.2)])  // issue 11
}

/// Each of the n chains must have delivered exactly `length` once.
private func checkChain(_ n: Int, _ length: Int, file: StaticString = #fileID, line: UInt = #line) {
    let (sum, count) = Accumulator.shared.take()
    verify(count, n, "chain results", file: file, line: line)
    verify(sum, n &* length, "sum of chain results", file: file, line: line)
}

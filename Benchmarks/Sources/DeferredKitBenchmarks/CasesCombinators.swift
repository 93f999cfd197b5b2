// `Deferred.all` over many pending inputs.

import DeferredKit
import NIOCore
import NIOEmbedded


func combinatorCases(smoke: Bool) -> [BenchCase] {
    (smoke ? [100, 1_000] : [10_000, 100_000]).map(allOver)
}

// MARK: - all over N pending inputs

/// Combine N pending promises, then resolve each with its index; the
/// combined array's sum must be 0 + 1 + ... + (N-1). ns/op is per input.
private func allOver(_ count: Int) -> BenchCase {
    BenchCase(
        name: "all/n=\(count)",
        summary: "combine \(count) pending promises into one array, then resolve the inputs",
        opsPerIteration: count, opName: "input",
        contenders: [
            .ours("DeferredKit Deferred.all") { n in
                for _ in 0 ..< n {
                    var inputs: [Deferred<Int>] = []
                    inputs.reserveCapacity(count)
                    for _ in 0 ..< count { inputs.append(Deferred<Int>()) }
                    let all = Deferred<Int>.all(inputs)
                    all.whenComplete { r in if case .success(let vs) = r { addArray(vs) } }
                    for (i, d) in inputs.enumerated() { d.resolve(i) }
                }
                checkArrays(n, count)
            },
            .baseline("NIO whenAllSucceed") { n in
                withEmbeddedLoop { loop in
                    for _ in 0 ..< n {
                        var inputs: [EventLoopPromise<Int>] = []
                        inputs.reserveCapacity(count)
                        for _ in 0 ..< count { inputs.append(loop.makePromise(of: Int.self)) }
                        let all = EventLoopFuture.whenAllSucceed(inputs.map(\.futureResult), on: loop)
                        all.whenComplete { r in if case .success(let vs) = r { addArray(vs) } }
                        for (i, p) in inputs.enumerated() { p.succeed(i) }
                    }
                }
                checkArrays(n, count)
            },
            .baseline("TaskGroup collect") { n in
                for _ in 0 ..< n {
                    let vs = await withTaskGroup(of: Int.self, returning: [Int].self) { g in
                        for i in 0 ..< count { g.addTask { i } }
                        var out: [Int] = []
                        out.reserveCapacity(count)
                        for await v in g { out.append(v) }
                        return out
                    }
                    addArray(vs)
                }
                checkArrays(n, count)
            },
        ],
        targets: [.time("NIO whenAllSucceed", 1.0)],
        scaling: Scaling(series: "all", x: count))
}

@inline(never)
private func addArray(_ vs: [Int]) {
    Accumulator.shared.add(vs.reduce(0, &+))
}

/// Each of the n combined arrays must sum to 0 + ... + (count - 1).
private func checkArrays(_ n: Int, _ count: Int) {
    let (sum, calls) = Accumulator.shared.take()
    verify(calls, n, "combined results")
    verify(sum, n &* triangular(count), "sum of combined values")
}

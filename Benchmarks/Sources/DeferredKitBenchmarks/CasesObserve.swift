// Create / observe / resolve cases, and the per-object memory case.
//
// Every observer captures nothing and adds the value to
// `Accumulator.shared`, so no contender pays for a closure context that
// another does not. NIO runs on an `EmbeddedEventLoop` created inside the
// batch (synchronous code, so it is only ever used on its own thread).

import DeferredKit
import NIOCore
import NIOEmbedded

func observeCases() -> [BenchCase] {
    [pendingObserveResolve(), resolvedObserve(), pendingMemory()]
}

// MARK: - create pending, add 1 observer, resolve

private func pendingObserveResolve() -> BenchCase {
    BenchCase(
        name: "observe.pending+1+resolve",
        summary: "create a pending promise, add one observer, resolve it",
        contenders: [
            .ours { n in
                for i in 0 ..< n {
                    let d = Deferred<Int>()
                    d.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                    d.resolve(i)
                }
                checkAccumulator(n)
            },
            .baseline("floor (OneShotCell)") { n in
                for i in 0 ..< n {
                    let c = OneShotCell()
                    c.observe { v in Accumulator.shared.add(v) }
                    c.resolve(i)
                }
                checkAccumulator(n)
            },
            .baseline("NIO EventLoopPromise") { n in
                withEmbeddedLoop { loop in
                    for i in 0 ..< n {
                        let p = loop.makePromise(of: Int.self)
                        p.futureResult.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        p.succeed(i)
                    }
                }
                checkAccumulator(n)
            },
            .baseline("OpenCombine Future") { n in
                combineFuturePendingObserveResolve(n)
                checkAccumulator(n)
            },
        ],
        targets: [
            .time("floor (OneShotCell)", 1.8),  // issue 11
            .time("OpenCombine Future", 0.5),
            .allocations("NIO EventLoopPromise"),
        ])
}

// MARK: - already resolved + 1 observer

private func resolvedObserve() -> BenchCase {
    BenchCase(
        name: "observe.resolved+1",
        summary: "create an already-resolved promise and add one observer",
        contenders: [
            .ours { n in
                for i in 0 ..< n {
                    Deferred<Int>.resolved(i).whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                }
                checkAccumulator(n)
            },
            .baseline("NIO makeSucceededFuture") { n in
                withEmbeddedLoop { loop in
                    for i in 0 ..< n {
                        loop.makeSucceededFuture(i).whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                    }
                }
                checkAccumulator(n)
            },
        ],
        targets: [.time("NIO makeSucceededFuture", 1.0)])
}

// MARK: - memory of a pending promise

private func pendingMemory() -> BenchCase {
    BenchCase(
        name: "memory.pending-Int",
        summary: "create and keep a pending Deferred<Int> / EventLoopPromise<Int> with no observer (bytes/op = heap bytes per pending promise)",
        contenders: [
            .ours { n in
                var keep: [Deferred<Int>] = []
                keep.reserveCapacity(n)
                for _ in 0 ..< n { keep.append(Deferred<Int>()) }
                verify(keep.count, n, "kept Deferreds")
                verify(keep.last?.isComplete, false, "pending Deferred is pending")
                blackHole(keep)
            },
            .baseline("NIO EventLoopPromise") { n in
                withEmbeddedLoop { loop in
                    var keep: [EventLoopPromise<Int>] = []
                    keep.reserveCapacity(n)
                    for _ in 0 ..< n { keep.append(loop.makePromise(of: Int.self)) }
                    verify(keep.count, n, "kept promises")
                    blackHole(keep)
                }
            },
        ],
        targets: [.bytes("NIO EventLoopPromise", 1.2), .allocations("NIO EventLoopPromise")])  // issue 11: <= 96 B vs 80 B
}

// MARK: - Helpers

/// Runs synchronous NIO code on a fresh `EmbeddedEventLoop` that is used
/// only on this thread and shut down afterwards.
@inline(never)
func withEmbeddedLoop(_ body: (EmbeddedEventLoop) -> Void) {
    let loop = EmbeddedEventLoop()
    body(loop)
    try! loop.syncShutdownGracefully()
}

/// Checks that observers saw exactly the values 0 ..< n, once each.
func checkAccumulator(_ n: Int, file: StaticString = #fileID, line: UInt = #line) {
    let (sum, count) = Accumulator.shared.take()
    verify(count, n, "observer calls", file: file, line: line)
    verify(sum, triangular(n), "sum of observed values", file: file, line: line)
}

// `await` cases: a completed Deferred, a pending one resolved by another
// task, and `Deferred { x }` whose body never suspends. NIO's async bridges
// need a thread-safe loop, so they use `MultiThreadedEventLoopGroup.singleton`.

import DeferredKit
import NIOCore
import NIOPosix

func awaitCases() -> [BenchCase] {
    [awaitCompleted(), awaitPending(), bodyNeverSuspends()]
}

// MARK: - await a completed Deferred

/// A plain async function that never suspends.
@inline(never)
func plainAsync(_ x: Int) async -> Int { x }

private func awaitCompleted() -> BenchCase {
    BenchCase(
        name: "await.completed",
        summary: "await the value of an already-completed promise",
        contenders: [
            .ours { n in
                let d = Deferred<Int>.resolved(opaque(1))
                var sum = 0
                for _ in 0 ..< n { sum &+= try! await d.value }
                verify(sum, n, "sum of awaited values")
            },
            .baseline("plain async call") { n in
                let one = opaque(1)
                var sum = 0
                for _ in 0 ..< n { sum &+= await plainAsync(one) }
                verify(sum, n, "sum of awaited values")
            },
            .baseline("withUnsafeContinuation") { n in
                let one = opaque(1)
                var sum = 0
                for _ in 0 ..< n { sum &+= await withUnsafeContinuation { $0.resume(returning: one) } }
                verify(sum, n, "sum of awaited values")
            },
        ],
        targets: [.time("plain async call", 2.0), .time("withUnsafeContinuation", 0.5)])
}

// MARK: - await a pending Deferred resolved by another task

private func awaitPending() -> BenchCase {
    BenchCase(
        name: "await.pending",
        summary: "await a pending promise that a newly spawned Task resolves (all contenders spawn one Task per op)",
        contenders: [
            .ours { n in
                var sum = 0
                for i in 0 ..< n {
                    let d = Deferred<Int>()
                    Task { d.resolve(i) }
                    sum &+= try! await d.value
                }
                verify(sum, triangular(n), "sum of awaited values")
            },
            .baseline("withCheckedContinuation") { n in
                var sum = 0
                for i in 0 ..< n {
                    sum &+= await withCheckedContinuation { c in Task { c.resume(returning: i) } }
                }
                verify(sum, triangular(n), "sum of awaited values")
            },
            .baseline("NIO get()") { n in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                var sum = 0
                for i in 0 ..< n {
                    let p = loop.makePromise(of: Int.self)
                    Task { p.succeed(i) }
                    sum &+= try! await p.futureResult.get()
                }
                verify(sum, triangular(n), "sum of awaited values")
            },
        ],
        targets: [.time("withCheckedContinuation", 1.2)])
}

// MARK: - Deferred { x } with a body that never suspends

private func bodyNeverSuspends() -> BenchCase {
    BenchCase(
        name: "await.body-never-suspends",
        summary: "start async work whose body returns at once, then await its value",
        contenders: [
            .ours("DeferredKit Deferred { x }") { n in
                var sum = 0
                for i in 0 ..< n { sum &+= try! await Deferred<Int> { i }.value }
                verify(sum, triangular(n), "sum of values")
            },
            .baseline("Task.immediate { x }") { n in
                var sum = 0
                for i in 0 ..< n { sum &+= await Task.immediate { i }.value }
                verify(sum, triangular(n), "sum of values")
            },
            .baseline("Task { x }") { n in
                var sum = 0
                for i in 0 ..< n { sum &+= await Task { i }.value }
                verify(sum, triangular(n), "sum of values")
            },
            .baseline("NIO makeFutureWithTask") { n in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                var sum = 0
                for i in 0 ..< n { sum &+= try! await loop.makeFutureWithTask { i }.get() }
                verify(sum, triangular(n), "sum of values")
            },
        ],
        targets: [.time("Task.immediate { x }", 1.2), .time("Task { x }", 0.5)])
}

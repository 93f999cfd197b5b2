// The DeferredKitNIO adapters (Integrations/NIO), both directions, against NIO alone.
//
// On-loop cases run on an `EmbeddedEventLoop` created inside the batch (synchronous code, one thread),
// as in CasesObserve.swift: they show what the adapter adds to NIO's own promise. The async cases use
// `MultiThreadedEventLoopGroup.singleton`, as in CasesAwait.swift: their figures include the hops NIO
// makes between the loop and the awaiting task.

import DeferredKit
import DeferredKitNIO
import NIOCore
import NIOEmbedded
import NIOPosix

func nioAdapterCases() -> [BenchCase] {
    [futureToDeferred(), futureToAsync(), deferredToFuture(), asyncWorkToFuture()]
}

// MARK: - EventLoopFuture -> Deferred, on the loop

private func futureToDeferred() -> BenchCase {
    BenchCase(
        name: "nio.future-to-deferred",
        summary: "make a promise, observe its future (through a Deferred for DeferredKit), succeed it, on the loop",
        contenders: [
            .ours("future.deferred") { n in
                withEmbeddedLoop { loop in
                    for i in 0 ..< n {
                        let p = loop.makePromise(of: Int.self)
                        p.futureResult.deferred.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        p.succeed(i)
                    }
                }
                checkAccumulator(n)
            },
            .baseline("NIO whenComplete") { n in
                withEmbeddedLoop { loop in
                    for i in 0 ..< n {
                        let p = loop.makePromise(of: Int.self)
                        p.futureResult.whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        p.succeed(i)
                    }
                }
                checkAccumulator(n)
            },
        ],
        // The adapter does NIO's work plus a Deferred and its observer: at most twice NIO alone.
        targets: [.time("NIO whenComplete", 2.0)])
}

// MARK: - EventLoopFuture -> async, through a Deferred or NIO's get()

private func futureToAsync() -> BenchCase {
    BenchCase(
        name: "nio.future-to-async",
        summary: "await a pending NIO future that a newly spawned Task succeeds: future.deferred.value vs future.get()",
        contenders: [
            .ours("future.deferred.value") { n in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                var sum = 0
                for i in 0 ..< n {
                    let p = loop.makePromise(of: Int.self)
                    Task { p.succeed(i) }
                    sum &+= try! await p.futureResult.deferred.value
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
        targets: [.time("NIO get()", 1.2)])
}

// MARK: - Deferred -> EventLoopFuture, on the loop

private func deferredToFuture() -> BenchCase {
    BenchCase(
        name: "nio.deferred-to-future",
        summary: "observe a pending result as a NIO future, complete it, on the loop: deferred.future(on:) vs a NIO promise",
        contenders: [
            .ours("deferred.future(on:)") { n in
                withEmbeddedLoop { loop in
                    for i in 0 ..< n {
                        let d = Deferred<Int>()
                        d.future(on: loop).whenComplete { r in if case .success(let v) = r { Accumulator.shared.add(v) } }
                        d.resolve(i)
                    }
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
        ],
        // A Deferred and its observer on top of NIO's promise: at most twice NIO alone.
        targets: [.time("NIO EventLoopPromise", 2.0)])
}

// MARK: - async work -> EventLoopFuture

private func asyncWorkToFuture() -> BenchCase {
    BenchCase(
        name: "nio.async-to-future",
        summary: "start async work whose body returns at once, as a NIO future, then get() it",
        contenders: [
            .ours("makeFutureWithDeferred") { n in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                var sum = 0
                for i in 0 ..< n { sum &+= try! await loop.makeFutureWithDeferred { i }.get() }
                verify(sum, triangular(n), "sum of values")
            },
            .baseline("NIO makeFutureWithTask") { n in
                let loop = MultiThreadedEventLoopGroup.singleton.next()
                var sum = 0
                for i in 0 ..< n { sum &+= try! await loop.makeFutureWithTask { i }.get() }
                verify(sum, triangular(n), "sum of values")
            },
        ],
        targets: [.time("NIO makeFutureWithTask", 1.0)])
}

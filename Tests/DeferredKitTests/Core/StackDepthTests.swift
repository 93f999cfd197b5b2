import Testing
@testable import DeferredKit

/// No hand-off recurses. Debug builds use 100,000 links (the Tour shows 1,000,000 in release); a recursive
/// implementation overflows the stack long before either depth.
@Suite("No hand-off recurses")
struct StackDepthTests {
    static let depth = 100_000

    @Test func longMapChainCompletesWithoutGrowingTheStack() {
        let root = Deferred<Int>()
        var tail = root
        for _ in 0..<Self.depth { tail = tail.map { $0 + 1 } }
        root.resolve(0)
        #expect(tail.result?.successValue == Self.depth)
    }

    @Test func longFlatMapChainOfPendingDeferredsCompletesWithoutGrowingTheStack() {
        // Each transform returns a Deferred that is still pending; the innermost completes last, and its
        // result must travel out through every link.
        let start = Deferred<Int>()
        let innermost = Deferred<Int>()
        var outer = innermost
        for _ in 0..<Self.depth {
            let next = outer
            outer = start.flatMap { _ in next }
        }
        start.resolve(0)
        #expect(!outer.isComplete)
        innermost.resolve(7)
        #expect(outer.result?.successValue == 7)
    }

    @Test func longFlatMapChainOfCompletedDeferredsCompletesWithoutGrowingTheStack() {
        let root = Deferred<Int>()
        var tail = root
        for _ in 0..<Self.depth { tail = tail.flatMap { .resolved($0 + 1) } }
        root.resolve(0)
        #expect(tail.result?.successValue == Self.depth)
    }

    @Test func deferredsEachObservedByTheNextCompleteWithoutGrowingTheStack() {
        let ds = (0...Self.depth).map { _ in Deferred<Int>() }
        for i in 0..<Self.depth {
            let next = ds[i + 1]
            ds[i].whenComplete { next.complete(with: $0.map { $0 + 1 }) }
        }
        ds[0].resolve(0)
        #expect(ds[Self.depth].result?.successValue == Self.depth)
    }

    @Test func deferredsObservedInReverseOrderCompleteWithoutGrowingTheStack() {
        // The same shape wired from the far end: completion order differs from registration order.
        let ds = (0...Self.depth).map { _ in Deferred<Int>() }
        for i in stride(from: Self.depth - 1, through: 0, by: -1) {
            let next = ds[i + 1]
            ds[i].whenComplete { next.complete(with: $0.map { $0 + 1 }) }
        }
        ds[0].resolve(0)
        #expect(ds[Self.depth].result?.successValue == Self.depth)
    }

    @Test func cancellingTheTailOfALongPendingChainDoesNotRecurse() {
        let cancelled = Counter()
        let root = Deferred<Int> { _ in cancelled.increment() }
        var tail = root
        for _ in 0..<Self.depth { tail = tail.map { $0 } }
        tail.cancel()
        #expect(cancelled.count == 1)
        #expect(isCancellation(root.result))
        #expect(isCancellation(tail.result))
    }

    @Test func droppingALongPendingChainReleasesItWithoutRecursion() {
        weak var weakRoot: Deferred<Int>?
        do {
            let root = Deferred<Int>()
            weakRoot = root
            var tail = root
            for _ in 0..<Self.depth { tail = tail.map { $0 } }
            _ = tail
        }
        #expect(weakRoot == nil)
    }
}

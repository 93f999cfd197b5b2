import Testing
@testable import DeferredKit

@Suite("Cancellation")
struct CancellationTests {
    @Test func cancelRunsTheCancellerOnceAndRejectsWithCancellationError() {
        let runs = Counter()
        let d = Deferred<Int> { _ in runs.increment() }
        d.cancel()
        d.cancel()
        #expect(runs.count == 1)
        #expect(isCancellation(d.result))
    }

    @Test func cancellerThatCompletesDecidesTheResult() {
        let d = Deferred<Int> { $0.resolve(5) }
        d.cancel()
        #expect(d.result?.successValue == 5)
        let e = Deferred<Int> { $0.reject(TestError(9)) }
        e.cancel()
        #expect(e.result?.failureError as? TestError == TestError(9))
    }

    @Test func cancelOnACompletedDeferredDoesNothing() {
        let runs = Counter()
        let d = Deferred<Int> { _ in runs.increment() }
        d.resolve(1)
        d.cancel()
        #expect(runs.count == 0)
        #expect(d.result?.successValue == 1)
    }

    /// A canceller that completes the Deferred through another Deferred's observer: at top level that observer
    /// runs at once; inside an observer the firing loop queues it, and cancellation must wait for it.
    func cancellableFedByAnother() -> Deferred<Int> {
        let input = Deferred<Int> { $0.resolve(5) }
        let out = Deferred<Int> { _ in input.cancel() }
        input.whenComplete { out.complete(with: $0) }
        return out
    }

    @Test func cancellationInsideAnObserverSettlesLikeAtTopLevel() {
        let atTop = cancellableFedByAnother()
        atTop.cancel()
        #expect(atTop.result?.successValue == 5)

        let inside = cancellableFedByAnother()
        let trigger = Deferred<Int>()
        trigger.whenComplete { _ in inside.cancel() }
        trigger.resolve(1)
        #expect(inside.result?.successValue == 5)
    }

    @Test func cancelWithoutCancellerRejectsWithCancellationError() {
        let d = Deferred<Int>()
        let seen = Recorder<Bool>()
        d.whenComplete { seen.append(($0.failureError is CancellationError)) }
        d.cancel()
        #expect(seen.all == [true])
    }
}

@Suite("Cancellation follows interest")
struct InterestTests {
    @Test func cancellingOneOfTwoDerivedLeavesTheSourceRunning() {
        let runs = Counter()
        let source = Deferred<Int> { _ in runs.increment() }
        let a = source.map { $0 + 1 }
        let b = source.map { $0 + 2 }
        a.cancel()
        #expect(isCancellation(a.result))
        #expect(!source.isComplete)
        #expect(runs.count == 0)
        source.resolve(1)
        #expect(b.result?.successValue == 3)
    }

    @Test func cancellingTheLastDependentCancelsTheSource() {
        let runs = Counter()
        let source = Deferred<Int> { _ in runs.increment() }
        let a = source.map { $0 + 1 }
        let b = source.map { $0 + 2 }
        a.cancel()
        b.cancel()
        #expect(runs.count == 1)
        #expect(isCancellation(source.result))
        #expect(isCancellation(b.result))
    }

    @Test func aValueSuppliedByTheCancellerReachesTheDerivedThroughItsTransform() {
        let source = Deferred<Int> { $0.resolve(10) }
        let derived = source.map { $0 * 2 }
        derived.cancel()
        #expect(derived.result?.successValue == 20)
    }

    @Test func theCancelledDerivedRecoversFromTheCancellationItCaused() {
        // Cooperative cancellation: the last dependent out receives the source's final result, and a
        // `recover` may turn that cancellation into a value (Twisted's asynchronous-cancellation pattern).
        let source = Deferred<Int>()
        let recovered = source.recover { _ in -1 }
        recovered.cancel()
        #expect(recovered.result?.successValue == -1)
        #expect(isCancellation(source.result))
    }

    @Test func aPermanentObserverKeepsTheSourceFromBeingCancelled() {
        let runs = Counter()
        let source = Deferred<Int> { _ in runs.increment() }
        source.whenComplete { _ in }
        let a = source.map { $0 }
        a.cancel()
        #expect(runs.count == 0)
        #expect(!source.isComplete)
        #expect(isCancellation(a.result))
    }

    @Test func cancellationClimbsThroughIntermediateLinks() {
        let runs = Counter()
        let root = Deferred<Int> { _ in runs.increment() }
        let middle = root.map { $0 + 1 }
        let leaf = middle.map { $0 + 1 }
        leaf.cancel()
        #expect(runs.count == 1)
        #expect(isCancellation(middle.result))
        #expect(isCancellation(root.result))
    }

    @Test func climbingStopsAtASourceWithOtherDependents() {
        let runs = Counter()
        let root = Deferred<Int> { _ in runs.increment() }
        let middle = root.map { $0 + 1 }
        let other = root.map { $0 + 100 }
        let leaf = middle.map { $0 + 1 }
        leaf.cancel()
        #expect(isCancellation(middle.result))
        #expect(!root.isComplete)
        #expect(runs.count == 0)
        root.resolve(1)
        #expect(other.result?.successValue == 101)
    }

    @Test func cancellingAFlatMapAfterItsTransformRanWithdrawsFromTheInnerDeferred() {
        let innerCancels = Counter()
        let inner = Deferred<Int> { _ in innerCancels.increment() }
        let outer = Deferred.resolved(1).flatMap { _ in inner }
        outer.cancel()
        #expect(innerCancels.count == 1)
        #expect(isCancellation(outer.result))
    }

    @Test func cancellingAFlatMapLeavesASharedInnerDeferredRunning() {
        let inner = Deferred<Int>()
        let keeper = inner.map { $0 }
        let outer = Deferred.resolved(1).flatMap { _ in inner }
        outer.cancel()
        #expect(isCancellation(outer.result))
        #expect(!inner.isComplete)
        inner.resolve(4)
        #expect(keeper.result?.successValue == 4)
    }

    @Test func otherDependentsAreNeverFailedBySomeoneElsesCancellation() async throws {
        let source = Deferred<Int>()
        let waiter = Deferred { try await source.value }  // starts at once, so it is waiting already
        let derived = source.map { $0 }
        derived.cancel()
        source.resolve(3)
        #expect(try await waiter.value == 3)
    }
}

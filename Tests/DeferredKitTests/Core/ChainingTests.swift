import Testing
@testable import DeferredKit

@Suite("Chaining")
struct ChainingTests {
    @Test func mapAppliesTheTransform() {
        let d = Deferred<Int>()
        let m = d.map { String($0 * 2) }
        d.resolve(21)
        #expect(m.result?.successValue == "42")
    }

    @Test func mapThatThrowsRejectsTheDerivedDeferred() {
        let m = Deferred.resolved(1).map { _ -> Int in throw TestError(1) }
        #expect(m.result?.failureError as? TestError == TestError(1))
    }

    @Test func flatMapWaitsOnTheReturnedDeferred() {
        let d = Deferred<Int>()
        let inner = Deferred<String>()
        let f = d.flatMap { _ in inner }
        d.resolve(1)
        #expect(!f.isComplete)
        inner.resolve("done")
        #expect(f.result?.successValue == "done")
    }

    @Test func failureSkipsMapAndFlatMapAndReachesRecover() {
        let d = Deferred<Int>()
        let ran = Counter()
        let r = d.map { v -> Int in ran.increment(); return v }
            .flatMap { v -> Deferred<Int> in ran.increment(); return .resolved(v) }
            .recover { error in (error as? TestError)?.id ?? -1 }
        d.reject(TestError(5))
        #expect(ran.count == 0)
        #expect(r.result?.successValue == 5)
    }

    @Test func recoverPassesSuccessThrough() {
        let r = Deferred.resolved(3).recover { _ in 0 }
        #expect(r.result?.successValue == 3)
    }

    @Test func recoverThatThrowsRejects() {
        let r = Deferred<Int>.rejected(TestError(1)).recover { _ in throw TestError(2) }
        #expect(r.result?.failureError as? TestError == TestError(2))
    }

    @Test func flatRecoverWaitsOnTheReturnedDeferred() {
        let inner = Deferred<Int>()
        let r = Deferred<Int>.rejected(TestError()).flatRecover { _ in inner }
        #expect(!r.isComplete)
        inner.resolve(8)
        #expect(r.result?.successValue == 8)
    }

    @Test func mapErrorTransformsOnlyErrors() {
        let e = Deferred<Int>.rejected(TestError(1)).mapError { _ in TestError(2) }
        #expect(e.result?.failureError as? TestError == TestError(2))
        #expect(Deferred.resolved(1).mapError { _ in TestError(2) }.result?.successValue == 1)
    }

    @Test func alwaysRunsItsObserverAndPassesTheResultThrough() {
        let seen = Recorder<Int>()
        let ok = Deferred.resolved(4).always { seen.append($0.successValue!) }
        let bad = Deferred<Int>.rejected(TestError(3)).always { _ in seen.append(-1) }
        #expect(seen.all == [4, -1])
        #expect(ok.result?.successValue == 4)
        #expect(bad.result?.failureError as? TestError == TestError(3))
    }

    @Test func chainingReturnsNewDeferredsAndLeavesTheSourceUnchanged() {
        let d = Deferred.resolved(1)
        let m = d.map { $0 + 1 }
        #expect(m !== (d as AnyObject))
        #expect(d.result?.successValue == 1)
        #expect(m.result?.successValue == 2)
    }

    @Test func flatMapReturningItsOwnResultRejectsWithACycleError() {
        let d = Deferred<Int>()
        let box = Recorder<Deferred<Int>>()
        let f = d.flatMap { _ in box.all[0] }
        box.append(f)
        d.resolve(1)
        #expect(f.result?.failureError is DeferredCycleError)
    }
}

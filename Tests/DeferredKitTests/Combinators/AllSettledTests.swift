@testable import DeferredKit
import Testing

@Suite("Combinators: allSettled")
struct CombinatorsAllSettledTests {
    @Test func resultsComeInInputOrderIncludingFailures() throws {
        let a = Deferred<Int>(), b = Deferred<Int>(), c = Deferred<Int>()
        let all = Deferred.allSettled([a, b, c])
        c.resolve(3)
        b.reject(TestError(2))
        #expect(!all.isComplete)
        a.resolve(1)
        let results = valueOf(all)
        #expect(results?.count == 3)
        #expect(try results?[0].get() == 1)
        #expect(throws: TestError(2)) { try results?[1].get() }
        #expect(try results?[2].get() == 3)
    }

    @Test func emptyInputResolvesAtOnceWithEmptyArray() {
        #expect(valueOf(Deferred.allSettled([Deferred<Int>]()))?.isEmpty == true)
    }

    @Test func alreadyCompleteInputsCompleteTheResultWhileItIsBuilt() {
        let all = Deferred.allSettled([.resolved(1), Deferred<Int>.rejected(TestError(1))])
        #expect(valueOf(all)?.count == 2)
    }

    @Test func failFastRejectsWithFirstErrorAndItsIndex() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let all = Deferred.allSettled([a, b], failFast: true)
        b.reject(TestError(5))
        let error = errorOf(all) as? FirstFailureError
        #expect(error?.index == 1)
        #expect(error?.error as? TestError == TestError(5))
        #expect(isCancelled(a))   // withdrawn, and nobody else wanted it
    }

    @Test func failFastResolvesWhenNothingFails() {
        let all = Deferred.allSettled([Deferred.resolved(1), .resolved(2)], failFast: true)
        #expect(valueOf(all)?.count == 2)
    }

    @Test func cancellingCollectsTheResultsCancellersSupply() throws {
        // Twisted's test_cancelDeferredList: every input's cancellation shows up in the list.
        let a = Deferred<Int> { $0.reject(TestError(1)) }
        let b = Deferred<Int> { $0.resolve(2) }
        let all = Deferred.allSettled([a, b])
        all.cancel()
        let results = valueOf(all)
        #expect(throws: TestError(1)) { try results?[0].get() }
        #expect(try results?[1].get() == 2)
    }

    @Test func cancellingWithoutSuppliedResultsCollectsTheCancellations() {
        // Cooperative: the cancelled list completes from each input's final result.
        let a = Deferred<Int>()
        let all = Deferred.allSettled([a])
        all.cancel()
        #expect(valueOf(all)?.first?.failureError is CancellationError)
        #expect(isCancelled(a))
    }

    @Test func cancellingWithFireOnOneErrbackRejectsWithTheFirstSuppliedError() {
        // Twisted's test_cancelDeferredListWithFireOnOneErrback.
        let a = Deferred<Int> { $0.reject(TestError(1)) }
        let b = Deferred<Int> { $0.reject(TestError(2)) }
        let all = Deferred.allSettled([a, b], failFast: true)
        all.cancel()
        #expect((errorOf(all) as? FirstFailureError)?.index == 0)
    }
}

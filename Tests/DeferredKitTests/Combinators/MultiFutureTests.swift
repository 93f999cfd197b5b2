@testable import DeferredKit
import Testing

@Suite("Combinators: MultiFuture")
struct CombinatorsMultiFutureTests {
    @Test func givesResultsInTheOrderAdded() {
        let multi = MultiFuture<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>()
        multi.add(a)
        multi.put(2)
        multi.add(b)
        multi.complete()
        b.resolve(3)
        #expect(!multi.deferred.isComplete)
        a.resolve(1)
        #expect(valueOf(multi.deferred) == [1, 2, 3])
    }

    @Test func waitsForCompleteEvenWhenEverythingIsReady() {
        let multi = MultiFuture<Int>()
        multi.put(1)
        multi.add(.resolved(2))
        #expect(!multi.deferred.isComplete)
        multi.complete()
        #expect(valueOf(multi.deferred) == [1, 2])
    }

    @Test func completingEmptyGivesEmptyArray() {
        let multi = MultiFuture<Int>()
        multi.complete()
        #expect(valueOf(multi.deferred) == [])
    }

    @Test func sameDeferredMayBeAddedTwice() {
        let multi = MultiFuture<Int>()
        let a = Deferred<Int>()
        multi.add(a)
        multi.add(a)
        multi.complete()
        a.resolve(4)
        #expect(valueOf(multi.deferred) == [4, 4])
    }

    @Test func aDependentsFailureRejectsItAndWithdrawsFromTheRest() {
        let multi = MultiFuture<Int>()
        let pending = Deferred<Int>(), failing = Deferred<Int>()
        multi.add(pending)
        multi.add(failing)
        failing.reject(TestError(1))   // before complete(): rejects at once
        #expect(errorOf(multi.deferred) as? TestError == TestError(1))
        #expect(isCancelled(pending))
    }

    @Test func failRejectsEarlyAndWithdraws() {
        let multi = MultiFuture<Int>()
        let pending = Deferred<Int>()
        multi.add(pending)
        multi.fail(TestError(7))
        #expect(errorOf(multi.deferred) as? TestError == TestError(7))
        #expect(isCancelled(pending))
    }

    @Test func cancellingItWithdrawsFromPendingDependents() {
        let multi = MultiFuture<Int>()
        let pending = Deferred<Int>()
        multi.add(pending)
        multi.deferred.cancel()
        #expect(isCancelled(pending))
    }

    @Test func addingAfterCompleteIsAClearError() async {
        await #expect(processExitsWith: .failure) {
            let multi = MultiFuture<Int>()
            multi.complete()
            multi.put(1)
        }
    }

    @Test func completingTwiceIsAClearError() async {
        await #expect(processExitsWith: .failure) {
            let multi = MultiFuture<Int>()
            multi.complete()
            multi.complete()
        }
    }
}

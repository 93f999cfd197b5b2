@testable import DeferredKit
import Testing

@Suite("Combinators: firstSuccess")
struct CombinatorsFirstSuccessTests {
    @Test func resolvesWithTheFirstSuccessAndItsIndex() {
        let a = Deferred<String>(), b = Deferred<String>(), c = Deferred<String>()
        let first = Deferred.firstSuccess([a, b, c])
        a.reject(TestError(0))
        #expect(!first.isComplete)
        c.resolve("c")
        #expect(valueOf(first)?.index == 2)
        #expect(valueOf(first)?.value == "c")
    }

    @Test func withdrawsFromTheRestAfterTheFirstSuccess() {
        let slow = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let fast = Deferred<Int>()
        let first = Deferred.firstSuccess([slow, shared, fast])
        fast.resolve(1)
        #expect(valueOf(first)?.value == 1)
        #expect(isCancelled(slow))
        #expect(!shared.isComplete)
    }

    @Test func rejectsOnlyWhenEveryInputHasFailedWithEveryFailureInInputOrder() {
        let inputs = (0..<3).map { _ in Deferred<Int>() }
        let first = Deferred.firstSuccess(inputs)
        inputs[2].reject(TestError(2))
        inputs[0].reject(TestError(0))
        #expect(!first.isComplete)
        inputs[1].reject(TestError(1))
        let error = errorOf(first) as? AllFailedError
        #expect(error?.errors.map { ($0 as? TestError)?.id } == [0, 1, 2])
    }

    @Test func emptyInputRejectsAtOnceWithAllFailedError() {
        let first = Deferred.firstSuccess([Deferred<Int>]())
        #expect((errorOf(first) as? AllFailedError)?.errors.isEmpty == true)
    }

    @Test func alreadyResolvedInputWinsAtOnce() {
        let first = Deferred.firstSuccess([Deferred<Int>.rejected(TestError(0)), .resolved(5)])
        #expect(valueOf(first)?.index == 1)
    }

    @Test func cancellingWithdrawsAndSuppliedValuesStillCount() {
        let a = Deferred<Int> { $0.reject(TestError(0)) }
        let b = Deferred<Int> { $0.resolve(9) }
        let first = Deferred.firstSuccess([a, b])
        first.cancel()
        #expect(valueOf(first)?.index == 1)
        #expect(valueOf(first)?.value == 9)
    }
}

@Suite("Combinators: some")
struct CombinatorsSomeTests {
    @Test func resolvesWithTheFirstCountSuccessesInCompletionOrder() {
        let inputs = (0..<4).map { _ in Deferred<Int>() }
        let some = Deferred.firstSuccesses(inputs, count: 2)
        inputs[3].resolve(30)
        inputs[0].reject(TestError(0))
        #expect(!some.isComplete)
        inputs[1].resolve(10)
        #expect(valueOf(some)?.map(\.index) == [3, 1])
        #expect(valueOf(some)?.map(\.value) == [30, 10])
        #expect(isCancelled(inputs[2]))   // withdrawn
    }

    @Test func rejectsAsSoonAsTheCountCanNoLongerBeReached() {
        let inputs = (0..<4).map { _ in Deferred<Int>() }
        let some = Deferred.firstSuccesses(inputs, count: 3)
        inputs[1].reject(TestError(1))
        #expect(!some.isComplete)
        inputs[0].reject(TestError(0))   // only 2 may still succeed
        let error = errorOf(some) as? NotEnoughSuccessesError
        #expect(error?.required == 3)
        #expect(error?.failures.map(\.index) == [0, 1])
        #expect(isCancelled(inputs[2]))
        #expect(isCancelled(inputs[3]))
    }

    @Test func countZeroResolvesAtOnceWithNothing() {
        let pending = Deferred<Int>()
        let some = Deferred.firstSuccesses([pending], count: 0)
        #expect(valueOf(some)?.isEmpty == true)
    }

    @Test func countAboveTheInputCountRejectsAtOnce() {
        let some = Deferred.firstSuccesses([Deferred<Int>()], count: 2)
        #expect((errorOf(some) as? NotEnoughSuccessesError)?.succeeded == 0)
    }

    @Test func cancellingWithdrawsFromEveryPendingInput() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let some = Deferred.firstSuccesses([a, b], count: 1)
        some.cancel()
        // Cooperative: both inputs finally failed with CancellationError, so the count is out of reach.
        let error = errorOf(some) as? NotEnoughSuccessesError
        #expect(error?.failures.map(\.index) == [0, 1])
        #expect(error?.failures.allSatisfy { $0.error is CancellationError } == true)
        #expect(isCancelled(a) && isCancelled(b))
    }
}

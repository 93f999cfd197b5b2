@testable import DeferredKit
import Testing

@Suite("Combinators: race")
struct CombinatorsRaceTests {
    @Test func firstSuccessWins() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let race = Deferred.race([a, b])
        b.resolve(2)
        #expect(valueOf(race)?.value == 2)
        #expect(valueOf(race)?.index == 1)
    }

    @Test func firstFailureWins() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let race = Deferred.race([a, b])
        a.reject(TestError(1))
        #expect(errorOf(race) as? TestError == TestError(1))
    }

    @Test func withdrawsFromTheLosers() {
        let loser = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let winner = Deferred<Int>()
        let race = Deferred.race([loser, shared, winner])
        winner.resolve(3)
        #expect(valueOf(race)?.value == 3)
        #expect(isCancelled(loser))
        #expect(!shared.isComplete)
    }

    @Test func alreadyCompleteInputWinsAtOnceAndTheRestAreWithdrawn() {
        let pending = Deferred<Int>()
        let race = Deferred.race([pending, .resolved(1), .resolved(2)])
        #expect(valueOf(race)?.value == 1)
        #expect(isCancelled(pending))
    }

    @Test func emptyInputRejectsAtOnce() {
        let race = Deferred.race([Deferred<Int>]())
        #expect((errorOf(race) as? AllFailedError)?.errors.isEmpty == true)
    }

    @Test func cancellingWithdrawsFromEveryInput() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let race = Deferred.race([a, b])
        race.cancel()
        #expect(isCancelled(race))
        #expect(isCancelled(a))
        #expect(isCancelled(b))
    }

    @Test func cancellingCompletesFromTheFirstFinalResult() {
        // Inputs are withdrawn from in order: `a`'s final result, CancellationError, arrives first.
        let a = Deferred<Int>()
        let b = Deferred<Int> { $0.resolve(7) }
        let race = Deferred.race([a, b])
        race.cancel()
        #expect(isCancelled(race))
        #expect(valueOf(b) == 7)
    }

    @Test func cancellingFirstSuccessCompletesFromASuppliedValue() {
        // Twisted's test_cancelDeferredListCallback: with failures ignored, a supplied value decides.
        let a = Deferred<Int>()
        let b = Deferred<Int> { $0.resolve(7) }
        let first = Deferred.firstSuccess([a, b])
        first.cancel()
        #expect(valueOf(first)?.value == 7)
        #expect(valueOf(first)?.index == 1)
        #expect(isCancelled(a))
    }

    @Test func cancellingAFinishedRaceDoesNotCancelInputsOthersWant() {
        // Twisted's test_cancelFiredOnOneCallbackDeferredList.
        let winner = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let race = Deferred.race([winner, shared])
        winner.resolve(1)
        race.cancel()
        #expect(valueOf(race)?.value == 1)
        #expect(!shared.isComplete)
    }
}

@testable import DeferredKit
import Testing

/// Every Deferred a combinator or a group hands out is the library's: completing it from outside
/// returns `false` and changes nothing (issue 9, item 5).
@Suite("Combinators: outputs are library-owned")
struct CombinatorsOwnedOutputTests {
    @Test func combinatorOutputsRefuseOutsideCompletion() {
        let a = Deferred<Int>()
        #expect(!Deferred.all([a]).resolve([1]))
        #expect(!Deferred.all(a, Deferred<String>()).reject(TestError(1)))
        #expect(!Deferred.allSettled([a]).resolve([]))
        #expect(!Deferred.race([a]).resolve((0, 1)))
        #expect(!Deferred.firstSuccess([a]).resolve((0, 1)))
        #expect(!Deferred.firstSuccesses([a], count: 1).complete(with: .success([])))
    }

    @Test func anOutsideCompletionChangesNothing() {
        let a = Deferred<Int>()
        let all = Deferred.all([a])
        all.reject(TestError(2))
        #expect(!all.isComplete)
        a.resolve(3)
        #expect(valueOf(all) == [3])
    }

    @Test func groupOutputsRefuseOutsideCompletion() {
        let group = DeferredGroup<Int>()
        #expect(!group.values().resolve([]))
        let other = DeferredGroup<Int>()
        #expect(!other.reduce { $0.reduce(0, +) }.resolve(nil))
        group.finish()
        other.finish()
        #expect(valueOf(group.values()) == [])
        #expect(valueOf(other.reduce { $0.reduce(0, +) }) == .some(nil))
    }
}

/// Cancellation is a request: a cancelled combinator withdraws from its inputs and completes from
/// what each input finally gave, through its rule (issue 9, part 1).
@Suite("Combinators: cooperative cancellation")
struct CombinatorsCooperativeCancellationTests {
    @Test func aCancelledAllSettledResolvesWithWhatEachInputFinallyGave() {
        let suppliesValue = Deferred<String> { $0.resolve("CR") }
        let plain = Deferred<String>()
        let settled = Deferred.allSettled([suppliesValue, plain])
        settled.cancel()
        let results = valueOf(settled)
        #expect(results?.count == 2)
        #expect(results?[0].successValue == "CR")
        #expect(results?[1].failureError is CancellationError)
    }

    @Test func anInputOthersStillWantCountsAsFailedWithCancellationError() {
        let shared = wantedElsewhere(Deferred<Int>())
        let suppliesValue = Deferred<Int> { $0.resolve(1) }
        let settled = Deferred.allSettled([shared, suppliesValue])
        settled.cancel()
        #expect(valueOf(settled)?[0].failureError is CancellationError)
        #expect(valueOf(settled)?[1].successValue == 1)
        #expect(!shared.isComplete)   // it goes on for the others
    }

    @Test func aCancelledCombinatorWaitsForTheFinalResultOfWorkInATask() async {
        let started = Deferred<Void>()
        let cleanedUp = Deferred<String> {
            started.resolve(())
            let never = Deferred<Int>()
            _ = try? await never.value   // cancelled: the body catches it and finishes
            return "cleaned up"
        }
        let settled = Deferred.allSettled([cleanedUp])
        _ = await started.settled
        settled.cancel()
        let results = await settled.settled
        #expect(results.successValue?.first?.successValue == "cleaned up")
    }

    @Test func aCancelledAllRejectsWithTheFirstFinalFailure() {
        let a = Deferred<Int> { $0.reject(TestError(5)) }
        let b = Deferred<Int> { $0.resolve(2) }
        let all = Deferred.all([b, a])
        all.cancel()
        #expect(errorOf(all) as? TestError == TestError(5))
    }

    @Test func aCancelledAllWhoseInputsSupplyValuesResolves() {
        let a = Deferred<Int> { $0.resolve(1) }
        let b = Deferred<Int> { $0.resolve(2) }
        let all = Deferred.all([a, b])
        all.cancel()
        #expect(valueOf(all) == [1, 2])
    }

    @Test func aCancelledFirstSuccessesRejectsWhenTheFinalResultsFallShort() {
        let a = Deferred<Int> { $0.resolve(1) }
        let b = Deferred<Int>()
        let two = Deferred.firstSuccesses([a, b], count: 2)
        two.cancel()
        #expect(errorOf(two) is NotEnoughSuccessesError)
        #expect(isCancelled(b))
    }

    @Test func aDecidedCombinatorStillWithdrawsFromInputsNobodyElseWants() {
        let loser = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let race = Deferred.race([loser, shared, .resolved(1)])
        #expect(valueOf(race)?.index == 2)
        #expect(isCancelled(loser))
        #expect(!shared.isComplete)
    }

    @Test func aCancelledGroupValuesCompletesFromTheFinalResults() {
        let group = DeferredGroup<Int>()
        let suppliesValue = Deferred<Int> { $0.resolve(4) }   // held: a group holds inputs weakly
        group.add(suppliesValue)
        group.add(.resolved(5))
        let values = group.values()
        values.cancel()   // the group was not finished: the reading ends as if it were
        #expect(valueOf(values) == [4, 5])
    }

    @Test func aCancelledGroupReductionWaitsForTaskInputs() async {
        let started = Deferred<Void>()
        let group = DeferredGroup<Int>()
        group.add(Deferred<Int> {
            started.resolve(())
            _ = try? await Deferred<Int>().value
            return 10
        })
        group.add(.resolved(5))
        let total = group.reduce { $0.reduce(0, +) }
        _ = await started.settled
        total.cancel()
        #expect(await total.settled.successValue == .some(15))
    }
}

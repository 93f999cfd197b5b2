@testable import DeferredKit
import Testing

/// `values()`: the values in add order (the behaviours of ndb's `MultiFuture`).
@Suite("Groups: values")
struct GroupsValuesTests {
    @Test func givesValuesInTheOrderAdded() {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>()
        group.add(a)
        group.add(.resolved(2))
        group.add(b)
        group.finish()
        let values = group.values()
        b.resolve(3)
        #expect(!values.isComplete)
        a.resolve(1)
        #expect(valueOf(values) == [1, 2, 3])
    }

    @Test func readingBeforeAddingGivesTheSameOutcome() {
        let group = DeferredGroup<Int>()
        let values = group.values()
        let a = Deferred<Int>()
        group.add(a)
        group.add(.resolved(2))
        a.resolve(1)
        #expect(!values.isComplete)   // waits for finish()
        group.finish()
        #expect(valueOf(values) == [1, 2])
    }

    @Test func finishingEmptyGivesAnEmptyArray() {
        let group = DeferredGroup<Int>()
        group.finish()
        #expect(valueOf(group.values()) == [])
    }

    @Test func sameDeferredMayBeAddedTwice() {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>()
        group.add(a)
        group.add(a)
        group.finish()
        a.resolve(4)
        #expect(valueOf(group.values()) == [4, 4])
    }

    @Test func readingTwiceGivesTheSameDeferred() {
        let group = DeferredGroup<Int>()
        #expect(group.values() === group.values())
        #expect(group.count == 0)
    }

    @Test func aFailureRejectsAtOnceAndWithdrawsFromTheRest() {
        let group = DeferredGroup<Int>()
        let pending = Deferred<Int>(), failing = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        group.add(pending)
        group.add(shared)
        group.add(failing)
        let values = group.values()
        failing.reject(TestError(1))   // before finish(): rejects at once
        #expect(errorOf(values) as? TestError == TestError(1))
        #expect(isCancelled(pending))
        #expect(!shared.isComplete)
    }

    @Test func aFailureThatArrivedBeforeReadingRejectsOnRead() {
        let group = DeferredGroup<Int>()
        let pending = Deferred<Int>()
        group.add(pending)
        group.add(.rejected(TestError(2)))
        #expect(!pending.isComplete)   // nothing read yet: nothing decided
        #expect(errorOf(group.values()) as? TestError == TestError(2))
        #expect(isCancelled(pending))
    }

    @Test func finishThrowingRejectsAndWithdraws() {
        let group = DeferredGroup<Int>()
        let pending = Deferred<Int>()
        group.add(pending)
        let values = group.values()
        group.finish(throwing: TestError(7))
        #expect(errorOf(values) as? TestError == TestError(7))
        #expect(isCancelled(pending))
    }

    @Test func inputsAddedAfterTheDecisionAreWithdrawnFromAtOnce() {
        let group = DeferredGroup<Int>()
        group.add(.rejected(TestError(3)))
        _ = group.values()
        let late = Deferred<Int>()
        group.add(late)
        #expect(isCancelled(late))
    }

    @Test func cancellingItWithdrawsFromPendingInputs() {
        let group = DeferredGroup<Int>()
        let pending = Deferred<Int>()
        group.add(pending)
        let values = group.values()
        values.cancel()
        #expect(isCancelled(pending))
        #expect(isCancelled(values))
    }

    @Test func cancelAllWithdrawsAndTheReadingHearsTheFinalResults() {
        let group = DeferredGroup<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let suppliesValue = Deferred<Int> { $0.resolve(9) }
        group.add(suppliesValue)
        group.add(shared)
        group.cancelAll()
        group.finish()
        // `suppliesValue` was cancelled and gave 9; `shared` goes on for others and counts as cancelled.
        #expect(valueOf(suppliesValue) == 9)
        #expect(!shared.isComplete)
        #expect(isCancelled(group.values()))
    }

    @Test func addingAfterFinishTraps() async {
        await #expect(processExitsWith: .failure) {
            let group = DeferredGroup<Int>()
            group.finish()
            group.add(.resolved(1))
        }
    }

    @Test func finishingTwiceTraps() async {
        await #expect(processExitsWith: .failure) {
            let group = DeferredGroup<Int>()
            group.finish()
            group.finish()
        }
    }

    @Test func readingASecondWayTraps() async {
        await #expect(processExitsWith: .failure) {
            let group = DeferredGroup<Int>()
            _ = group.values()
            _ = group.results()
        }
    }

    @Test func inputErrorsAreHandled() {
        DiagnosticsSpy.install()
        do {
            let group = DeferredGroup<Int>()
            group.add(.rejected(TestError(3201)))
            group.add(.rejected(TestError(3202)))
            group.finish()
            _ = group.values().result
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3201).isEmpty)
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3202).isEmpty)
    }
}

@Suite("Groups: abandoned")
struct GroupsAbandonedTests {
    @Test func aGroupFreedUnfinishedRejectsItsPendingOutputs() {
        let values: Deferred<[Int]>
        let total: Deferred<Int?>
        do {
            let group = DeferredGroup<Int>()
            group.add(.resolved(1))
            values = group.values()
            let other = DeferredGroup<Int>()
            total = other.reduce { $0.reduce(0, +) }
        }
        #expect(errorOf(values) is DeferredAbandonedError)
        #expect(errorOf(total) is DeferredAbandonedError)
    }
}

@testable import DeferredKit
import Testing

@Suite("Combinators: all")
struct CombinatorsAllTests {
    // MARK: Order

    @Test func resultsComeInInputOrderWhateverTheCompletionOrder() {
        let inputs = (0..<5).map { _ in Deferred<Int>() }
        let all = Deferred.all(inputs)
        for i in [3, 0, 4, 1, 2] { inputs[i].resolve(i * 10) }
        #expect(valueOf(all) == [0, 10, 20, 30, 40])
    }

    @Test func emptyInputResolvesAtOnceWithEmptyArray() {
        let all = Deferred.all([Deferred<Int>]())
        #expect(valueOf(all) == [])
    }

    @Test func alreadyCompleteInputsCompleteTheResultWhileItIsBuilt() {
        let all = Deferred.all([Deferred.resolved(1), .resolved(2)])
        #expect(valueOf(all) == [1, 2])
    }

    @Test func staysPendingUntilTheLastInputResolves() {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let all = Deferred.all([a, b])
        a.resolve(1)
        #expect(!all.isComplete)
        b.resolve(2)
        #expect(valueOf(all) == [1, 2])
    }

    // MARK: Heterogeneous form

    @Test func heterogeneousAllInfersItsTupleType() throws {
        let number = Deferred<Int>(), name = Deferred<String>()
        let both = Deferred.all(number, name)   // no annotation: Value == Void is inferred
        name.resolve("x")
        number.resolve(7)
        let (n, s) = try #require(both.result).get()
        #expect(n == 7)
        #expect(s == "x")
    }

    @Test func heterogeneousAllRejectsWithTheFirstError() {
        let number = Deferred<Int>(), flag = Deferred<Bool>()
        let both = Deferred.all(number, flag)
        flag.reject(TestError(2))
        #expect(errorOf(both) as? TestError == TestError(2))
        #expect(isCancelled(number))   // nobody else wanted it
    }

    @Test func collectionFormStillResolvesWithoutAmbiguity() {
        let d1 = Deferred.resolved(1), d2 = Deferred.resolved(2)
        let list = Deferred.all([d1, d2])
        let typed: Deferred<[Int]> = list
        #expect(valueOf(typed) == [1, 2])
        #expect(valueOf(Deferred<Int>.all([d1, d2])) == [1, 2])   // the benchmark's spelling
    }

    // MARK: Failing fast

    @Test func rejectsWithTheFirstErrorAsSoonAsItOccurs() {
        let a = Deferred<Int>(), b = Deferred<Int>(), c = Deferred<Int>()
        let all = Deferred.all([a, b, c])
        b.reject(TestError(1))
        #expect(errorOf(all) as? TestError == TestError(1))
        c.reject(TestError(2))
        #expect(errorOf(all) as? TestError == TestError(1))
    }

    @Test func failingWithdrawsFromPendingInputsCancellingThoseNobodyElseWants() {
        let unwanted = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let failing = Deferred<Int>()
        let all = Deferred.all([unwanted, shared, failing])
        failing.reject(TestError(1))
        #expect(isCancelled(unwanted))
        #expect(!shared.isComplete)   // it has other dependents: it keeps running
        #expect(errorOf(all) as? TestError == TestError(1))
    }

    @Test func anAlreadyRejectedInputFailsItAtOnceAndPendingInputsAreWithdrawn() {
        let pending = Deferred<Int>()
        let all = Deferred.all([.rejected(TestError(1)), pending])
        #expect(errorOf(all) as? TestError == TestError(1))
        #expect(isCancelled(pending))
    }

    // MARK: Cancelling

    @Test func cancellingWithdrawsFromEveryPendingInput() {
        let unwanted = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        let all = Deferred.all([unwanted, shared])
        all.cancel()
        #expect(isCancelled(all))
        #expect(isCancelled(unwanted))
        #expect(!shared.isComplete)
    }

    @Test func cancellerSuppliedValuesCompleteTheResult() {
        let a = Deferred<Int> { $0.resolve(1) }
        let b = Deferred<Int> { $0.resolve(2) }
        let all = Deferred.all([a, b])
        all.cancel()
        #expect(valueOf(all) == [1, 2])
    }

    @Test func cancellerSuppliedErrorRejectsWithThatError() {
        let a = Deferred<Int> { $0.reject(TestError(9)) }
        let b = Deferred<Int>()
        let all = Deferred.all([a, b])
        all.cancel()
        #expect(errorOf(all) as? TestError == TestError(9))
        #expect(isCancelled(b))
    }

    @Test func cancellingACompletedResultDoesNotTouchInputs() {
        let a = Deferred<Int>()
        let all = Deferred.all([a])
        a.resolve(1)
        all.cancel()
        #expect(valueOf(all) == [1])
    }

    @Test func cancellingADerivedChainReachesTheInputs() {
        let a = Deferred<Int>()
        let total = Deferred.all([a]).map { $0.reduce(0, +) }
        total.cancel()
        #expect(isCancelled(a))
    }

    // MARK: Awaiting

    @Test func awaitingTheResultGivesTheValues() async throws {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let all = Deferred.all([a, b])
        Task { a.resolve(1); b.resolve(2) }
        #expect(try await all.value == [1, 2])
    }

    // MARK: Scale

    @Test func allOverOneHundredThousandInputsIsLinearAndDoesNotRecurse() {
        let count = 100_000
        let inputs = (0..<count).map { _ in Deferred<Int>() }
        let all = Deferred.all(inputs)
        // The last one to resolve completes `all` from inside the firing loop of a chain.
        for i in stride(from: count - 1, through: 0, by: -1) { inputs[i].resolve(i) }
        let values = valueOf(all)
        #expect(values?.count == count)
        #expect(values?.first == 0)
        #expect(values?.last == count - 1)
    }

    @Test func failingOverOneHundredThousandInputsWithdrawsFromAllOfThem() {
        let count = 100_000
        let inputs = (0..<count).map { _ in Deferred<Int>() }
        let all = Deferred.all(inputs)
        inputs[count / 2].reject(TestError(1))
        #expect(errorOf(all) as? TestError == TestError(1))
        #expect(isCancelled(inputs[0]))
        #expect(isCancelled(inputs[count - 1]))
    }

    @Test func resolvingInputsFromInsideObserversDoesNotRecurse() {
        // Each input is resolved by the previous input's observer: one long firing-loop hand-off.
        let count = 100_000
        let inputs = (0..<count).map { _ in Deferred<Int>() }
        for i in 0..<(count - 1) {
            let next = inputs[i + 1]
            inputs[i].whenComplete { _ in next.resolve(i + 1) }
        }
        let all = Deferred.all(inputs)
        inputs[0].resolve(0)
        #expect(valueOf(all)?.last == count - 1)
    }
}

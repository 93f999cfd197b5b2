@testable import DeferredKit
import Testing

@Suite("Combinators: DeferredWatchList")
struct CombinatorsDeferredWatchListTests {
    @Test func observersHearIndexAndResultAsEachCompletes() {
        let list = DeferredWatchList<Int>()
        let heard = Locked<[(Int, Int?)]>([])
        list.observe { index, result in heard.withLock { $0.append((index, try? result.get())) } }
        let a = Deferred<Int>(), b = Deferred<Int>()
        #expect(list.watch(a) == 0)
        #expect(list.watch(b) == 1)
        b.reject(TestError(1))
        a.resolve(10)
        let events = heard.withLock { $0 }
        #expect(events.map(\.0) == [1, 0])
        #expect(events.map(\.1) == [nil, 10])
    }

    @Test func acceptsDeferredsAtAnyTimeIncludingAlreadyCompleteOnes() {
        let list = DeferredWatchList<Int>(keepsHistory: true)
        let a = Deferred<Int>()
        list.watch(a)
        a.resolve(1)
        list.watch(.resolved(2))   // reported before append returns
        #expect(list.history.map(\.index) == [0, 1])
        #expect(list.count == 2)
        #expect(list.pendingCount == 0)
    }

    @Test func pendingCountAndHistoryAlreadyIncludeTheEventObserversHear() {
        let list = DeferredWatchList<Int>(keepsHistory: true)
        let seen = Locked<[(pending: Int, history: Int)]>([])
        list.observe { _, _ in seen.withLock { $0.append((list.pendingCount, list.history.count)) } }
        let a = Deferred<Int>(), b = Deferred<Int>()
        list.watch(a)
        list.watch(b)
        a.resolve(1)
        b.resolve(2)
        #expect(seen.withLock { $0.map(\.pending) } == [1, 0])
        #expect(seen.withLock { $0.map(\.history) } == [1, 2])
    }

    @Test func historyIsEmptyUnlessMaintained() {
        let list = DeferredWatchList<Int>()
        list.watch(.resolved(1))
        #expect(list.history.isEmpty)
        #expect(list.pendingCount == 0)
    }

    @Test func withdrawCancelsPendingInputsNobodyElseWants() {
        let list = DeferredWatchList<Int>()
        let unwanted = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        list.watch(unwanted)
        list.watch(shared)
        list.cancelAll()
        #expect(isCancelled(unwanted))
        #expect(!shared.isComplete)
        #expect(list.pendingCount == 0)
    }

    @Test func userBuiltCombinatorFiresWhenNOfMHaveSucceeded() {
        let inputs = (0..<5).map { _ in Deferred<Int>() }
        let twoOfFive = whenSucceeded(2, of: inputs)
        inputs[4].reject(TestError(4))
        inputs[1].resolve(1)
        #expect(!twoOfFive.isComplete)
        inputs[3].resolve(3)
        #expect(valueOf(twoOfFive) == [1, 3])
        #expect(isCancelled(inputs[0]))   // the combinator withdrew from the rest
    }

    @Test func userBuiltCombinatorFailsWhenTooManyFail() {
        let inputs = (0..<3).map { _ in Deferred<Int>() }
        let twoOfThree = whenSucceeded(2, of: inputs)
        inputs[0].reject(TestError(0))
        inputs[2].reject(TestError(2))
        #expect(errorOf(twoOfThree) as? TestError == TestError(2))
    }
}

/// "Fire when N of M have succeeded", built on `DeferredWatchList` as the txdlo post suggests.
private func whenSucceeded(_ needed: Int, of inputs: [Deferred<Int>]) -> Deferred<[Int]> {
    let list = DeferredWatchList<Int>(keepsHistory: true)
    let result = Deferred<[Int]> { _ in list.cancelAll() }
    list.observe { _, latest in
        let history = list.history
        let values = history.compactMap { try? $0.result.get() }
        if values.count == needed {
            result.resolve(values)
            list.cancelAll()
        } else if case .failure(let error) = latest, history.count - values.count > inputs.count - needed {
            result.reject(error)
            list.cancelAll()
        }
    }
    for input in inputs { list.watch(input) }
    return result
}

// MARK: - Leaks and removal

@Suite("Combinators: DeferredWatchList lifetime")
struct CombinatorsDeferredWatchListLifetimeTests {
    /// The documented pattern — an observer that uses the list, then withdraws once it has what it
    /// needed — must not keep the list alive (observer -> list -> observer).
    @Test func theDocumentedPatternDoesNotLeakTheList() {
        weak var weakList: DeferredWatchList<Int>?
        let inputs = (0..<3).map { _ in Deferred<Int>() }
        let enough = Deferred<Void>()
        do {
            let list = DeferredWatchList<Int>()
            weakList = list
            let succeeded = Locked(0)
            list.observe { _, result in
                guard case .success = result else { return }
                if succeeded.withLock({ $0 += 1; return $0 }) == 2 {
                    enough.resolve(())
                    list.cancelAll()
                }
            }
            for input in inputs { list.watch(input) }
        }
        inputs[0].resolve(0)
        inputs[1].resolve(1)
        #expect(enough.isComplete)
        #expect(isCancelled(inputs[2]))
        #expect(weakList == nil)
    }

    @Test func aRemovedObserverHearsNothingMore() {
        let list = DeferredWatchList<Int>()
        let heard = Recorder<Int>()
        let kept = Recorder<Int>()
        let observer = list.observe { index, _ in heard.append(index) }
        list.observe { index, _ in kept.append(index) }
        list.watch(.resolved(0))
        list.removeObserver(observer)
        list.watch(.resolved(1))
        #expect(heard.all == [0])
        #expect(kept.all == [0, 1])
    }

    @Test func aRemovedObserverIsReleased() {
        weak var weakToken: Token?
        let list = DeferredWatchList<Int>()
        let id: DeferredWatchList<Int>.ObserverID
        do {
            let token = Token()
            weakToken = token
            id = list.observe { _, _ in token.touch() }
        }
        #expect(weakToken != nil)
        list.removeObserver(id)
        #expect(weakToken == nil)
    }

    @Test func observersAreReleasedOnceFinishedAndNothingIsPending() {
        weak var weakToken: Token?
        let list = DeferredWatchList<Int>()
        let a = Deferred<Int>()
        do {
            let token = Token()
            weakToken = token
            list.observe { _, _ in token.touch() }
        }
        list.watch(a)
        list.finish()
        #expect(weakToken != nil)   // `a` may still report
        a.resolve(1)
        #expect(weakToken == nil)
    }

    @Test func withdrawingFromAnInputOthersStillWantReportsItAsCancelled() {
        let list = DeferredWatchList<Int>()
        let heard = Locked<[(Int, Bool)]>([])
        list.observe { index, result in heard.withLock { $0.append((index, isCancellation(result))) } }
        let shared = wantedElsewhere(Deferred<Int>())
        list.watch(shared)
        list.cancelAll()
        #expect(heard.withLock { $0.map(\.0) } == [0])
        #expect(heard.withLock { $0.map(\.1) } == [true])
        #expect(!shared.isComplete)
    }
}

private final class Token: Sendable {
    func touch() {}
}

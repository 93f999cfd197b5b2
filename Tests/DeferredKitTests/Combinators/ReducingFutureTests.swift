@testable import DeferredKit
import Testing

@Suite("Combinators: ReducingFuture")
struct CombinatorsReducingFutureTests {
    @Test func emptyInputGivesNilWithoutCallingTheReducer() {
        let calls = Counter()
        let reducing = ReducingFuture<Int> { values in calls.increment(); return values.reduce(0, +) }
        reducing.complete()
        #expect(reducing.deferred.result.map { try? $0.get() } == .some(.some(nil)))
        #expect(calls.count == 0)
    }

    @Test func oneItemGivesThatItemWithoutCallingTheReducer() {
        let calls = Counter()
        let reducing = ReducingFuture<Int> { values in calls.increment(); return values.reduce(0, +) }
        reducing.put(42)
        reducing.complete()
        #expect(valueOf(reducing.deferred) == .some(42))
        #expect(calls.count == 0)
    }

    @Test func reducesInBatchesOfBatchSize() {
        let batches = Locked<[Int]>([])
        let reducing = ReducingFuture<Int>(batchSize: 3) { values in
            batches.withLock { $0.append(values.count) }
            return values.reduce(0, +)
        }
        for i in 1...7 { reducing.put(i) }
        reducing.complete()
        #expect(valueOf(reducing.deferred) == .some(28))
        // 1+2+3 -> 6; 6,4,5 -> 15; 15,6,7 -> 28: never more than batchSize at once.
        #expect(batches.withLock { $0 } == [3, 3, 3])
    }

    @Test func reducerMayReturnADeferred() {
        let pendingReductions = Locked<[Deferred<Int>]>([])
        let reducing = ReducingFuture<Int>(batchSize: 2) { (values: [Int]) -> Deferred<Int> in
            let d = Deferred<Int>()
            pendingReductions.withLock { $0.append(d) }
            d.whenComplete { _ in }
            _ = values
            return d.map { $0 + values.reduce(0, +) }
        }
        let a = Deferred<Int>()
        reducing.add(a)
        reducing.put(2)
        a.resolve(1)
        reducing.complete()
        #expect(!reducing.deferred.isComplete)
        pendingReductions.withLock { $0 }.forEach { $0.resolve(0) }
        #expect(valueOf(reducing.deferred) == .some(3))
    }

    @Test func aFailingInputRejectsIt() {
        let reducing = ReducingFuture<Int> { $0.reduce(0, +) }
        reducing.put(1)
        reducing.add(.rejected(TestError(1)))
        reducing.complete()
        #expect(errorOf(reducing.deferred) as? TestError == TestError(1))
    }

    @Test func aThrowingReducerRejectsIt() {
        let reducing = ReducingFuture<Int>(batchSize: 2) { _ in throw TestError(2) }
        reducing.put(1)
        reducing.put(2)
        reducing.complete()
        #expect(errorOf(reducing.deferred) as? TestError == TestError(2))
    }

    @Test func failRejectsIt() {
        let reducing = ReducingFuture<Int> { $0.reduce(0, +) }
        reducing.fail(TestError(3))
        #expect(errorOf(reducing.deferred) as? TestError == TestError(3))
    }
}

@Suite("Combinators: collectors withdraw")
struct CombinatorsCollectorWithdrawalTests {
    @Test func reducingFutureFailureWithdrawsFromPendingInputs() {
        let reducing = ReducingFuture<Int> { $0.reduce(0, +) }
        let pending = Deferred<Int>()
        reducing.add(pending)
        reducing.add(.rejected(TestError(1)))
        #expect(errorOf(reducing.deferred) as? TestError == TestError(1))
        #expect(isCancelled(pending))
    }

    @Test func cancellingReducingFutureWithdrawsFromPendingInputs() {
        let reducing = ReducingFuture<Int> { $0.reduce(0, +) }
        let pending = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        reducing.add(pending)
        reducing.add(shared)
        reducing.deferred.cancel()
        #expect(isCancelled(reducing.deferred))
        #expect(isCancelled(pending))
        #expect(!shared.isComplete)
    }

    @Test func queueFutureFailWithdrawsFromPendingInputs() {
        let queue = QueueFuture<Int>()
        let pending = Deferred<Int>()
        queue.add(pending)
        queue.fail(TestError(2))
        #expect(isCancelled(pending))
    }
}

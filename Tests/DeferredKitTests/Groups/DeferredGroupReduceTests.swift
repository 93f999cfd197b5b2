@testable import DeferredKit
import Testing

/// `reduce(batchSize:_:)` (the behaviours of ndb's `ReducingFuture`).
@Suite("Groups: reduce")
struct GroupsReduceTests {
    @Test func emptyGroupGivesNilWithoutCallingTheReducer() {
        let calls = Counter()
        let group = DeferredGroup<Int>()
        let total = group.reduce { values in calls.increment(); return values.reduce(0, +) }
        group.finish()
        #expect(total.result.map { try? $0.get() } == .some(.some(nil)))
        #expect(calls.count == 0)
    }

    @Test func oneValueGivesThatValueWithoutCallingTheReducer() {
        let calls = Counter()
        let group = DeferredGroup<Int>()
        group.add(.resolved(42))
        group.finish()
        let total = group.reduce { values in calls.increment(); return values.reduce(0, +) }
        #expect(valueOf(total) == .some(42))
        #expect(calls.count == 0)
    }

    @Test(arguments: [false, true])
    func reducesInBatchesOfBatchSize(readFirst: Bool) {
        let batches = Locked<[Int]>([])
        let group = DeferredGroup<Int>()
        let reducer: @Sendable ([Int]) -> Int = { values in
            batches.withLock { $0.append(values.count) }
            return values.reduce(0, +)
        }
        let early = readFirst ? group.reduce(batchSize: 3, reducer) : nil
        for i in 1...7 { group.add(.resolved(i)) }
        group.finish()
        let total = early ?? group.reduce(batchSize: 3, reducer)
        #expect(valueOf(total) == .some(28))
        // Never more than batchSize values at once; three reductions for seven values.
        #expect(batches.withLock { $0 } == [3, 3, 3])
    }

    @Test func reducerMayReturnADeferred() {
        let pendingReductions = Locked<[Deferred<Int>]>([])
        let group = DeferredGroup<Int>()
        let total = group.reduce(batchSize: 2) { (values: [Int]) -> Deferred<Int> in
            let d = Deferred<Int>()
            pendingReductions.withLock { $0.append(d) }
            return d.map { $0 + values.reduce(0, +) }
        }
        let a = Deferred<Int>()
        group.add(a)
        group.add(.resolved(2))
        a.resolve(1)
        group.finish()
        #expect(!total.isComplete)
        pendingReductions.withLock { $0 }.forEach { $0.resolve(0) }
        #expect(valueOf(total) == .some(3))
    }

    @Test func aFailingInputRejectsItAndWithdrawsFromTheRest() {
        let group = DeferredGroup<Int>()
        let total = group.reduce { $0.reduce(0, +) }
        let pending = Deferred<Int>()
        group.add(pending)
        group.add(.resolved(1))
        group.add(.rejected(TestError(1)))
        #expect(errorOf(total) as? TestError == TestError(1))
        #expect(isCancelled(pending))
    }

    @Test func aThrowingReducerRejectsIt() {
        let group = DeferredGroup<Int>()
        let total = group.reduce(batchSize: 2) { _ in throw TestError(2) }
        group.add(.resolved(1))
        group.add(.resolved(2))
        group.finish()
        #expect(errorOf(total) as? TestError == TestError(2))
    }

    @Test func finishThrowingRejectsIt() {
        let group = DeferredGroup<Int>()
        let total = group.reduce { $0.reduce(0, +) }
        group.finish(throwing: TestError(3))
        #expect(errorOf(total) as? TestError == TestError(3))
    }

    @Test func cancellingItWithdrawsFromPendingInputs() {
        let group = DeferredGroup<Int>()
        let total = group.reduce { $0.reduce(0, +) }
        let pending = Deferred<Int>()
        let shared = wantedElsewhere(Deferred<Int>())
        group.add(pending)
        group.add(shared)
        total.cancel()
        #expect(isCancelled(total))
        #expect(isCancelled(pending))
        #expect(!shared.isComplete)
    }

    @Test func aBatchSizeBelowTwoTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = DeferredGroup<Int>().reduce(batchSize: 1) { $0[0] }
        }
    }
}

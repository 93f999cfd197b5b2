import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredLockTests {
        // MARK: Acquire and release

        @Test func acquireCompletesAtOnceWhenFree() {
            let lock = DeferredLock()
            #expect(!lock.isLocked)
            let acquired = lock.acquire()
            #expect(acquired.isComplete)
            #expect(lock.isLocked)
            lock.release()
            #expect(!lock.isLocked)
        }

        @Test func waitersAreServedFirstInFirstOut() {
            let lock = DeferredLock()
            let order = Shared<[Int]>([])
            _ = lock.acquire()
            for i in 0..<5 {
                lock.acquire().whenComplete { _ in order.append(i) }
            }
            #expect(lock.waitingCount == 5)
            for _ in 0..<5 { lock.release() }
            #expect(order.value == [0, 1, 2, 3, 4])
            #expect(lock.isLocked)
            lock.release()
            #expect(!lock.isLocked)
        }

        @Test func releaseHandsLockStraightToNextWaiter() {
            let lock = DeferredLock()
            _ = lock.acquire()
            let waiter = lock.acquire()
            lock.release()
            #expect(waiter.isComplete)
            #expect(lock.isLocked)
            // A newcomer cannot overtake: the lock was never free in between.
            #expect(!lock.acquire().isComplete)
        }

        @Test func releasingUnheldLockIsAPreconditionFailure() async {
            await #expect(processExitsWith: .failure) {
                DeferredLock().release()
            }
        }

        // MARK: Cancellation

        @Test func cancellingPendingAcquireRemovesWaiterAndRejects() {
            let lock = DeferredLock()
            _ = lock.acquire()
            let first = lock.acquire()
            let second = lock.acquire()
            first.cancel()
            #expect(lock.waitingCount == 1)
            #expect(first.result.map { (try? $0.get()) == nil } == true)
            if case .failure(let error)? = first.result { #expect(error is CancellationError) }
            lock.release()
            #expect(second.isComplete)
            #expect(lock.isLocked)
        }

        @Test func cancellingAcquiredAcquireDoesNothing() {
            let lock = DeferredLock()
            let acquired = lock.acquire()
            acquired.cancel()
            #expect(acquired.result.map { (try? $0.get()) != nil } == true)
            #expect(lock.isLocked)
            lock.release()
            #expect(!lock.isLocked)
        }

        @Test func cancellingDerivedAcquireWithdrawsWaiter() {
            let lock = DeferredLock()
            _ = lock.acquire()
            let derived = lock.acquire().map { "mine" }
            derived.cancel()
            #expect(lock.waitingCount == 0)
            lock.release()
            #expect(!lock.isLocked)
        }

        @Test func cancellingTaskWaitingInWithLockRemovesWaiter() async {
            let lock = DeferredLock()
            _ = lock.acquire()
            let ran = Shared(false)
            let task = Task { try await lock.withLock { ran.update { $0 = true } } }
            await eventually { lock.waitingCount == 1 }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(lock.waitingCount == 0)
            #expect(!ran.value)
            lock.release()
            #expect(!lock.isLocked)
        }

        // MARK: run

        @Test func runWithSynchronousBodyReleasesAfterBody() throws {
            let lock = DeferredLock()
            let wasLocked = Shared(false)
            let result = lock.run { wasLocked.update { $0 = lock.isLocked }; return 42 }
            #expect(try result.result?.get() == 42)
            #expect(wasLocked.value)
            #expect(!lock.isLocked)
        }

        @Test func runPassesErrorThroughAndReleases() {
            let lock = DeferredLock()
            let result: Deferred<Int> = lock.run { throw TestError(code: 7) }
            #expect(throws: TestError(code: 7)) { try result.result?.get() }
            #expect(!lock.isLocked)
        }

        @Test func runWaitsForTheLock() throws {
            let lock = DeferredLock()
            _ = lock.acquire()
            let result = lock.run { 1 }
            #expect(!result.isComplete)
            lock.release()
            #expect(try result.result?.get() == 1)
            #expect(!lock.isLocked)
        }

        @Test func runWithDeferredBodyHoldsLockUntilItCompletes() throws {
            let lock = DeferredLock()
            let work = Deferred<String>()
            let result = lock.run { work }
            #expect(lock.isLocked)
            #expect(!result.isComplete)
            work.resolve("done")
            #expect(try result.result?.get() == "done")
            #expect(!lock.isLocked)
        }

        @Test func runWithDeferredBodyReleasesOnRejection() {
            let lock = DeferredLock()
            let work = Deferred<String>()
            let result = lock.run { work }
            work.reject(TestError(code: 3))
            #expect(throws: TestError(code: 3)) { try result.result?.get() }
            #expect(!lock.isLocked)
        }

        @Test func cancellingRunWithDeferredBodyReleasesWhenBodyIsCancelled() {
            let lock = DeferredLock()
            let work = Deferred<Int>()
            let result = lock.run { work }
            result.cancel()
            #expect(work.isComplete)  // nobody else wanted it: cancelled
            #expect(!lock.isLocked)
        }

        @Test func cancellingRunWhileWaitingNeverRunsBody() {
            let lock = DeferredLock()
            _ = lock.acquire()
            let ran = Shared(false)
            let result = lock.run { ran.update { $0 = true } }
            result.cancel()
            lock.release()
            #expect(!ran.value)
            #expect(!lock.isLocked)
        }

        @Test func runWithAsyncBodyHoldsLockUntilBodyReturns() async throws {
            let lock = DeferredLock()
            let gate = Deferred<Int>()
            let result = lock.run { try await gate.value * 2 }
            #expect(lock.isLocked)
            gate.resolve(21)
            #expect(try await result.value == 42)
            #expect(!lock.isLocked)
        }

        // MARK: withLock

        @Test func withLockRunsBodyAndReleases() async throws {
            let lock = DeferredLock()
            let inside = try await lock.withLock { lock.isLocked }
            #expect(inside)
            #expect(!lock.isLocked)
        }

        @Test func withLockRethrowsAndReleases() async {
            let lock = DeferredLock()
            await #expect(throws: TestError(code: 1)) {
                try await lock.withLock { throw TestError(code: 1) }
            }
            #expect(!lock.isLocked)
        }

        // MARK: Release storms

        /// 100,000 waiters, each releasing in its own observer (1,000,000 in release: see the LockStorm example).
        @Test func releaseStormDoesNotRecurse() {
            let waiters = 100_000
            let lock = DeferredLock()
            _ = lock.acquire()
            // (next expected index, deepest stack offset seen, out-of-order count)
            let state = Shared((next: 0, base: UInt(0), depth: UInt(0), outOfOrder: 0))
            for i in 0..<waiters {
                lock.acquire().whenComplete { _ in
                    let here = stackAddress()
                    state.update { s in
                        if s.next != i { s.outOfOrder += 1 }
                        s.next += 1
                        if s.base == 0 { s.base = here }
                        s.depth = max(s.depth, s.base > here ? s.base - here : here - s.base)
                    }
                    lock.release()
                }
            }
            lock.release()
            let s = state.value
            #expect(s.next == waiters)
            #expect(s.outOfOrder == 0)
            #expect(s.depth < 16 * 1024, "observers ran \(s.depth) bytes deeper than the first one")
            #expect(!lock.isLocked)
        }
    }
}

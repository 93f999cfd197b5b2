import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredPoolTests {
        @Test func emptyPoolNotifiesAtOnce() {
            let pool = DeferredPool()
            #expect(pool.whenEmpty().isComplete)
            #expect(pool.count == 0)
        }

        @Test func tracksDeferredsUntilTheyComplete() {
            let pool = DeferredPool()
            let a = Deferred<Int>(), b = Deferred<String>()
            pool.add(a)
            pool.add(b)
            pool.add(a)  // already tracked
            #expect(pool.count == 2)
            let empty = pool.whenEmpty()
            a.resolve(1)
            #expect(pool.count == 1)
            #expect(!empty.isComplete)
            b.reject(TestError())
            #expect(pool.count == 0)
            #expect(empty.isComplete)
            _ = b.result  // the error was received
        }

        @Test func addDoesNotChangeResults() throws {
            let pool = DeferredPool()
            let value = pool.add(Deferred<Int>())
            let failure = pool.add(Deferred<Int>())
            let mapped = value.map { $0 + 1 }
            value.resolve(1)
            failure.reject(TestError(code: 4))
            #expect(try mapped.result?.get() == 2)
            #expect(throws: TestError(code: 4)) { try failure.result?.get() }
        }

        @Test func addingCompletedDeferredDoesNotCount() {
            let pool = DeferredPool()
            pool.add(Deferred.resolved(1))
            #expect(pool.count == 0)
            #expect(pool.whenEmpty().isComplete)
        }

        @Test func addingCompletedDeferredDoesNotFireANextDrainNotification() {
            let pool = DeferredPool()
            let later = pool.whenNextEmptied()
            pool.add(Deferred.resolved(1))
            #expect(!later.isComplete)
            let work = pool.add(Deferred<Void>())
            work.resolve(())
            #expect(later.isComplete)
        }

        @Test func whenNextEmptiedWaitsForTheNextDrain() {
            let pool = DeferredPool()
            let later = pool.whenNextEmptied()
            #expect(!later.isComplete)
            let work = pool.add(Deferred<Void>())
            work.resolve(())
            #expect(later.isComplete)
        }

        @Test func poolCanFillAndDrainAgain() {
            let pool = DeferredPool()
            for round in 0..<3 {
                let works = (0..<4).map { _ in pool.add(Deferred<Int>()) }
                let empty = pool.whenEmpty()
                #expect(pool.count == 4)
                for (i, work) in works.enumerated() {
                    #expect(!empty.isComplete)
                    work.resolve(round * 10 + i)
                }
                #expect(empty.isComplete)
            }
        }

        @Test func trackingDoesNotKeepDeferredFromBeingCancelled() {
            let pool = DeferredPool()
            let work = pool.add(Deferred<Int>())
            let dependent = work.map { $0 }
            dependent.cancel()
            #expect(work.isComplete)  // its only dependent withdrew
            #expect(pool.count == 0)
        }

        @Test func cancellingNotificationRemovesJustThatWaiter() {
            let pool = DeferredPool()
            let work = pool.add(Deferred<Void>())
            let first = pool.whenEmpty()
            let second = pool.whenEmpty()
            first.cancel()
            work.resolve(())
            if case .failure(let error)? = first.result { #expect(error is CancellationError) } else { Issue.record("not cancelled") }
            #expect(second.result.map { (try? $0.get()) != nil } == true)
        }

        @Test func waitUntilEmptyReturnsWhenDrained() async throws {
            let pool = DeferredPool()
            let work = pool.add(Deferred<Int>())
            let waiter = Task { try await pool.waitUntilEmpty() }
            work.resolve(3)
            try await waiter.value
            #expect(pool.count == 0)
        }
    }
}

import Testing
@testable import DeferredKit

extension Coordination {
    /// The Deferreds a coordination type hands out are the library's to complete: a user's `resolve` or
    /// `reject` on one returns `false` and changes nothing, so it cannot break the type's invariants.
    @Suite struct OwnershipTests {
        // MARK: Lock and semaphore

        @Test func resolvingAWaitingAcquireDoesNotGrantTheLock() {
            DiagnosticsSpy.install()
            let lock = DeferredLock()
            _ = lock.acquire()
            let waiting = lock.acquire(); let acquireLine: UInt = #line
            #expect(waiting.resolve(()) == false); let resolveLine: UInt = #line
            #expect(!waiting.isComplete)
            // Reported at the misuse, naming the user's acquire (not a library file) as the creation site.
            let reports = DiagnosticsSpy.events(.completedByNonOwner, atLine: resolveLine)
            #expect(reports.count == 1)
            #expect(reports.first?.creationSite.line == acquireLine)
            #expect(reports.first?.creationSite.fileID == #fileID)
            #expect(lock.waitingCount == 1)
            // The lock still passes in order: the waiter gets it when the holder releases.
            lock.release()
            #expect(waiting.isComplete)
            #expect(lock.isLocked)
            lock.release()
            #expect(!lock.isLocked)
        }

        @Test func rejectingAWaitingAcquireDoesNotDropTheWaiter() throws {
            let semaphore = DeferredSemaphore(tokens: 1)
            _ = semaphore.acquire()
            let waiting = semaphore.acquire()
            #expect(waiting.reject(TestError(code: 1)) == false)
            #expect(semaphore.waitingCount == 1)
            semaphore.release()
            #expect(waiting.result.map { (try? $0.get()) != nil } == true)
            semaphore.release()
            #expect(semaphore.availableTokens == 1)
        }

        @Test func grantedAcquireIsNotSharedAcrossLocks() {
            // One resolved Deferred per lock, not one for the process: no process-wide contention point.
            let first = DeferredLock(), second = DeferredLock()
            let a = first.acquire(), b = second.acquire()
            #expect(a.isComplete && b.isComplete)
            #expect(a !== b)
            #expect(a.resolve(()) == false)
            first.release()
            second.release()
        }

        // MARK: Queue

        @Test func resolvingAWaitingGetDoesNotTakeItOutOfTheLine() throws {
            let queue = DeferredQueue<Int>()
            let waiting = try queue.get()
            #expect(waiting.resolve(99) == false)
            #expect(queue.waitingGetCount == 1)
            queue.put(1)
            #expect(try waiting.result?.get() == 1)
            #expect(queue.count == 0)
        }

        // MARK: Pool and dictionary

        @Test func resolvingAnEmptyNotificationDoesNotFireIt() {
            let pool = DeferredPool()
            let work = pool.add(Deferred<Int>())
            let empty = pool.whenEmpty()
            #expect(empty.resolve(()) == false)
            #expect(!empty.isComplete)
            work.resolve(1)
            #expect(empty.isComplete)
        }

        @Test func resolvingALookupDoesNotSetTheKey() throws {
            let dictionary = DeferredDictionary<String, Int>()
            let waiting = dictionary["k"]
            #expect(waiting.resolve(5) == false)
            #expect(!waiting.isComplete)
            dictionary.updateValue(6, forKey: "k")
            #expect(try waiting.result?.get() == 6)
        }

        // MARK: DeferredMemoizer

        @Test func resolvingACallersDeferredDoesNotPoisonTheCache() throws {
            let work = Deferred<Int>()
            let cached = DeferredMemoizer { (_: Int) in work }
            let first = cached(1)
            #expect(first.resolve(-1) == false)
            let second = cached(1)
            work.resolve(7)
            #expect(try first.result?.get() == 7)
            #expect(try second.result?.get() == 7)
        }
    }
}

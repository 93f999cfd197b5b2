import Testing
@testable import DeferredKit

extension Coordination {
    /// The Deferreds a coordination type creates name the user's call, not a line of the library, so that
    /// diagnostics point at the code that asked.
    @Suite struct CallSiteTests {
        static func isHere(_ site: DeferredCallSite?, line: UInt, file: String = #fileID) -> Bool {
            site?.fileID == file && site?.line == line
        }

        // MARK: Probes into the waiting lines

        static func firstWaiterSite(of lock: DeferredLock) -> DeferredCallSite? {
            lock.gate.state.withLock { $0.waiters.slots.lazy.compactMap { $0 }.first?.creationSite }
        }

        static func firstWaiterSite(of dictionary: DeferredDictionary<String, Int>, key: String) -> DeferredCallSite? {
            dictionary.state.withLock { $0.waiters[key]?.slots.lazy.compactMap { $0 }.first?.creationSite }
        }

        static func firstWaiterSite(of queue: DeferredQueue<Int>) -> DeferredCallSite? {
            queue.state.withLock { $0.getters.slots.lazy.compactMap { $0 }.first?.creationSite }
        }

        static func firstWaiterSite(of pool: DeferredPool) -> DeferredCallSite? {
            pool.state.withLock { $0.waiters.slots.lazy.compactMap { $0 }.first?.creationSite }
        }

        // MARK: Lock and semaphore

        @Test func withLockNamesTheCaller() async throws {
            let lock = DeferredLock()
            _ = lock.acquire()
            let task = Task { try await lock.withLock {} }; let line: UInt = #line
            await eventually { lock.waitingCount == 1 }
            #expect(Self.isHere(Self.firstWaiterSite(of: lock), line: line))
            lock.release()
            try await task.value
        }

        @Test func withTokenNamesTheCaller() async throws {
            let semaphore = DeferredSemaphore(tokens: 1)
            _ = semaphore.acquire()
            let task = Task { try await semaphore.withToken {} }; let line: UInt = #line
            await eventually { semaphore.waitingCount == 1 }
            let site = semaphore.gate.state.withLock { $0.waiters.slots.lazy.compactMap { $0 }.first?.creationSite }
            #expect(Self.isHere(site, line: line))
            semaphore.release()
            try await task.value
        }

        // MARK: Dictionary

        @Test func subscriptNamesTheCaller() {
            let dictionary = DeferredDictionary<String, Int>(["present": 1])
            let waiting = dictionary["k"]; let line: UInt = #line
            let present = dictionary["present"]; let presentLine: UInt = #line
            #expect(Self.isHere(waiting.creationSite, line: line))
            #expect(Self.isHere(present.creationSite, line: presentLine))
        }

        @Test func asyncLookupNamesTheCaller() async throws {
            let dictionary = DeferredDictionary<String, Int>()
            let task = Task { try await dictionary.value(for: "k") }; let line: UInt = #line
            await eventually { dictionary.waitingCount(for: "k") == 1 }
            #expect(Self.isHere(Self.firstWaiterSite(of: dictionary, key: "k"), line: line))
            dictionary.updateValue(3, forKey: "k")
            #expect(try await task.value == 3)
        }

        // MARK: Queue and pool

        @Test func takeNamesTheCaller() async throws {
            let queue = DeferredQueue<Int>()
            let task = Task { try await queue.take() }; let line: UInt = #line
            await eventually { queue.waitingGetCount == 1 }
            #expect(Self.isHere(Self.firstWaiterSite(of: queue), line: line))
            queue.put(1)
            #expect(try await task.value == 1)
        }

        @Test func waitUntilEmptyNamesTheCaller() async throws {
            let pool = DeferredPool()
            let work = pool.add(Deferred<Int>())
            let task = Task { try await pool.waitUntilEmpty() }; let line: UInt = #line
            await eventually { pool.state.withLock { $0.waiters.count } == 1 }
            #expect(Self.isHere(Self.firstWaiterSite(of: pool), line: line))
            work.resolve(1)
            try await task.value
        }
    }
}

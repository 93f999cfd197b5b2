import Synchronization
import Testing
@testable import DeferredKit

/// Hammers each coordination type from many tasks at once; run under ThreadSanitizer with
/// `swift test --sanitize=thread --scratch-path .build-tsan --filter Coordination.StressTests`.
/// Round counts are sized for a debug build (about 10,000 operations per test); a release run can
/// multiply `rounds` by 100.
extension Coordination {
    @Suite struct StressTests {
        static let tasks = 8
        static let rounds = 1_250  // × 8 tasks = 10,000 operations per test

        @Test func lockNeverHasTwoHolders() async throws {
            let lock = DeferredLock()
            let holders = Counter()
            let violations = Counter()
            let total = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds {
                            if (t + r) % 2 == 0 {
                                try await lock.withLock {
                                    if holders.add() != 1 { violations.add() }
                                    total.add()
                                    holders.subtract()
                                }
                            } else {
                                try await lock.run {
                                    if holders.add() != 1 { violations.add() }
                                    total.add()
                                    holders.subtract()
                                }.value
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(violations.value == 0)
            #expect(total.value == Self.tasks * Self.rounds)
            #expect(!lock.isLocked)
        }

        @Test func lockSurvivesCancellationRacingRelease() async throws {
            let lock = DeferredLock()
            let holders = Counter()
            let violations = Counter()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds {
                            let acquired = lock.acquire()
                            if r % 3 == 0 { acquired.cancel() }
                            // Whoever ends up holding the lock (cancel lost the race) must release it.
                            if case .success = await acquired.settled {
                                if holders.add() != 1 { violations.add() }
                                holders.subtract()
                                lock.release()
                            }
                        }
                    }
                }
            }
            #expect(violations.value == 0)
            #expect(!lock.isLocked)
            #expect(lock.waitingCount == 0)
        }

        @Test func semaphoreNeverHasMoreThanNHolders() async throws {
            let limit = 3
            let semaphore = DeferredSemaphore(tokens: limit)
            let holders = Counter()
            let most = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<Self.tasks {
                    group.addTask {
                        for _ in 0..<Self.rounds {
                            try await semaphore.withToken {
                                let now = holders.add()
                                most.raise(to: now)
                                await Task.yield()
                                holders.subtract()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(most.value <= limit)
            #expect(semaphore.availableTokens == limit)
        }

        @Test func queueDeliversEveryElementOnceAndInOrderToASingleConsumer() async throws {
            let queue = DeferredQueue<Int>()
            let producers = Self.tasks
            let perProducer = Self.rounds
            let consumer = Task {
                var next = [Int](repeating: 0, count: producers)
                var outOfOrder = 0
                for _ in 0..<(producers * perProducer) {
                    let element = try await queue.take()
                    let (p, i) = element.quotientAndRemainder(dividingBy: perProducer)
                    if next[p] != i { outOfOrder += 1 }
                    next[p] = i + 1
                }
                return (next, outOfOrder)
            }
            await withTaskGroup(of: Void.self) { group in
                for p in 0..<producers {
                    group.addTask {
                        for i in 0..<perProducer { queue.put(p * perProducer + i) }
                    }
                }
            }
            let (next, outOfOrder) = try await consumer.value
            #expect(outOfOrder == 0)
            #expect(next == [Int](repeating: perProducer, count: producers))
            #expect(queue.count == 0)
        }

        @Test func queueDeliversEveryElementExactlyOnceDespiteCancelledGets() async throws {
            let queue = DeferredQueue<Int>()
            let total = Self.tasks * Self.rounds
            let seen = Shared([Int](repeating: 0, count: total))
            let delivered = Counter()
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<Self.tasks {
                    group.addTask {
                        var r = 0
                        while delivered.value < total {
                            guard let get = try? queue.get() else { continue }
                            r += 1
                            if (r + c) % 4 == 0 { get.cancel() }
                            if case .success(let element) = await get.settled {
                                seen.update { $0[element] += 1 }
                                delivered.add()
                            }
                        }
                    }
                }
                group.addTask {
                    for i in 0..<total { queue.put(i) }
                    // Wake consumers still waiting once everything is delivered.
                    while delivered.value < total { await Task.yield() }
                    queue.finish()
                }
            }
            let counts = seen.value
            #expect(counts.allSatisfy { $0 == 1 })
            #expect(delivered.value == total)
        }

        /// Producers on a full bounded queue cancel some of their waiting puts while a consumer takes: an
        /// element is taken exactly when its put succeeded, and a put that reports cancellation put nothing.
        @Test func boundedQueuePutsThatReportCancellationPutNothing() async throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            let total = Self.tasks * Self.rounds
            // Per element: 1 = its put succeeded, 2 = its put was cancelled (0 = not settled yet).
            let outcomes = Shared([Int](repeating: 0, count: total))
            let taken = Shared([Int](repeating: 0, count: total))
            let settled = Counter()
            await withTaskGroup(of: Void.self) { group in
                for p in 0..<Self.tasks {
                    group.addTask {
                        for i in 0..<Self.rounds {
                            let element = p * Self.rounds + i
                            let put = queue.put(element)
                            if (element + p) % 3 == 0 { put.cancel() }
                            let outcome = await put.settled
                            outcomes.update { $0[element] = (try? outcome.get()) != nil ? 1 : 2 }
                            settled.add()
                        }
                    }
                }
                group.addTask {
                    // Take until every put has settled and the buffer is empty.
                    while true {
                        if let element = try? await queue.take() { taken.update { $0[element] += 1 } }
                        if settled.value == total, queue.count == 0 { break }
                    }
                }
                // The taker's last take may wait on an empty queue: end it once the producers are done.
                group.addTask {
                    while settled.value < total || queue.count > 0 { await Task.yield() }
                    queue.finish()
                }
            }
            let succeeded = outcomes.value.map { $0 == 1 ? 1 : 0 }
            #expect(taken.value == succeeded)
            #expect(outcomes.value.contains(2))  // some cancellations did win
        }

        @Test func dictionaryCompletesEveryWaiter() async throws {
            let dictionary = DeferredDictionary<Int, Int>()
            let keys = 64
            let hits = Counter()
            await withTaskGroup(of: Void.self) { group in
                for t in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds {
                            let key = (t * Self.rounds + r) % keys
                            let lookup = dictionary[key]
                            if r % 5 == 0 { lookup.cancel() }
                            if case .success(let value) = await lookup.settled, value == key { hits.add() }
                        }
                    }
                }
                group.addTask { for key in 0..<keys { dictionary.updateValue(key, forKey: key) } }
            }
            #expect(hits.value >= Self.tasks * Self.rounds * 4 / 5)
            #expect((0..<keys).allSatisfy { dictionary.waitingCount(for: $0) == 0 })
        }

        @Test func poolCountsEveryAddAndDrains() async throws {
            let pool = DeferredPool()
            let works = (0..<(Self.tasks * Self.rounds)).map { _ in Deferred<Int>() }
            await withTaskGroup(of: Void.self) { group in
                for t in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds { pool.add(works[t * Self.rounds + r]) }
                    }
                }
            }
            #expect(pool.count == works.count)
            let empty = pool.whenEmpty()
            await withTaskGroup(of: Void.self) { group in
                for t in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds { works[t * Self.rounds + r].resolve(r) }
                    }
                }
            }
            #expect(pool.count == 0)
            #expect(empty.isComplete)
        }

        @Test func memoizerCallsOncePerKey() async throws {
            let calls = Counter()
            let f = DeferredMemoizer { (key: Int) -> Deferred<Int> in
                calls.add()
                return .resolved(key)
            }
            let keys = 100
            let wrong = Counter()
            await withTaskGroup(of: Void.self) { group in
                for t in 0..<Self.tasks {
                    group.addTask {
                        for r in 0..<Self.rounds {
                            let key = (t + r) % keys
                            if case .success(let value) = await f(key).settled, value == key {} else { wrong.add() }
                        }
                    }
                }
            }
            #expect(calls.value == keys)
            #expect(wrong.value == 0)
        }
    }
}

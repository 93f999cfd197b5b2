import Synchronization
import Testing
@testable import DeferredKit

/// Races every operation on shared Deferreds from several tasks. Run under ThreadSanitizer by `.ci/run`.
@Suite("Core stress")
struct CoreStressTests {
    static let rounds = 100_000

    @Test func racingCompletionCancellationObservationAndAwaitingIsSound() async {
        let ds = (0..<Self.rounds).map { _ in Deferred<Int>() }
        let observed = (0..<Self.rounds).map { _ in Counter() }
        let mapped = Counter()
        let awaited = Counter()
        let wins = Counter()
        let observers = Counter()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for (i, d) in ds.enumerated() { if d.resolve(i) { wins.increment() } } }
            group.addTask { for d in ds.reversed() { if d.reject(TestError()) { wins.increment() } } }
            group.addTask { for (i, d) in ds.enumerated() where i % 3 == 0 { d.cancel() } }
            group.addTask {
                for (i, d) in ds.enumerated() {
                    d.whenComplete { _ in observed[i].increment(); observers.increment() }
                }
            }
            group.addTask {
                for d in ds { d.map { $0 }.whenComplete { _ in mapped.increment() } }
            }
            group.addTask {
                for d in ds.prefix(5_000) { _ = await d.settled; awaited.increment() }
            }
        }
        // Cancellation completes a Deferred too, so exactly one completion won per Deferred or it was cancelled.
        #expect(ds.allSatisfy { $0.isComplete })
        #expect(observers.count == Self.rounds)
        #expect(observed.allSatisfy { $0.count == 1 })
        #expect(mapped.count == Self.rounds)
        #expect(awaited.count == 5_000)
        #expect(wins.count <= Self.rounds)
    }

    @Test func racingWaitersAndCancellationResumeEveryContinuationOnce() async {
        let rounds = 5_000
        let finished = Counter()
        let d = (0..<rounds).map { _ in Deferred<Int>() }
        await withTaskGroup(of: Void.self) { group in
            var waiters: [Task<Void, Never>] = []
            for i in 0..<rounds {
                waiters.append(Task { _ = await d[i].settled; finished.increment() })
            }
            let all = waiters
            group.addTask { for w in all { w.cancel() } }
            group.addTask { for x in d { x.resolve(1) } }
            for w in all { await w.value }
        }
        #expect(finished.count == rounds)
    }
}

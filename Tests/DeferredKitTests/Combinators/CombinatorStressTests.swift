@testable import DeferredKit
import Dispatch
import Testing

/// Concurrency stress: run under `swift test --sanitize=thread --filter CombinatorsStress`.
/// Rounds are sized for debug builds; a release build would run ten times as many in the same time.
@Suite("Combinators: stress")
struct CombinatorsStressTests {
    @Test func allCompletedFromManyThreadsGivesEveryValueInOrder() {
        for _ in 0..<200 {
            let inputs = (0..<50).map { _ in Deferred<Int>() }
            let all = Deferred.all(inputs)
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            #expect(valueOf(all) == Array(0..<50))
        }
    }

    @Test func raceWithConcurrentCancelCompletesExactlyOnce() {
        for _ in 0..<2_000 {
            let a = Deferred<Int>(), b = Deferred<Int>()
            let race = Deferred.race([a, b])
            let heard = Counter()
            race.addPassiveObserver { _ in heard.increment() }
            DispatchQueue.concurrentPerform(iterations: 3) { i in
                switch i {
                case 0: a.resolve(1)
                case 1: b.resolve(2)
                default: race.cancel()
                }
            }
            #expect(race.isComplete)
            #expect(heard.count == 1)
        }
    }

    @Test func firstSuccessWhileInputsFailConcurrentlyDecidesOnce() {
        for _ in 0..<1_000 {
            let inputs = (0..<4).map { _ in Deferred<Int>() }
            let first = Deferred.firstSuccess(inputs)
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                if i == 2 { inputs[i].resolve(i) } else { inputs[i].reject(TestError(i)) }
            }
            #expect(valueOf(first)?.index == 2)
        }
    }

    @Test func multiFutureAddedToFromManyThreadsCollectsEverything() {
        for _ in 0..<200 {
            let multi = MultiFuture<Int>()
            DispatchQueue.concurrentPerform(iterations: 20) { i in multi.put(i) }
            multi.complete()
            #expect(valueOf(multi.deferred)?.sorted() == Array(0..<20))
        }
    }

    @Test func queueFedFromManyThreadsDeliversEachResultOnce() async throws {
        for _ in 0..<200 {
            let queue = QueueFuture<Int>()
            let inputs = (0..<40).map { _ in Deferred<Int>() }
            for d in inputs { queue.add(d) }
            queue.complete()
            let consumers = (0..<2).map { _ in
                Task { var got: [Int] = []; for try await r in queue { got.append(try r.get()) }; return got }
            }
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            var all: [Int] = []
            for consumer in consumers { all += try await consumer.value }
            #expect(all.sorted() == Array(0..<40))
        }
    }

    @Test func listObserverCountsEveryCompletionFromManyThreads() {
        for _ in 0..<200 {
            let list = DeferredListObserver<Int>(maintainHistory: true)
            let inputs = (0..<30).map { _ in Deferred<Int>() }
            for d in inputs { list.append(d) }
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            #expect(list.pendingCount == 0)
            #expect(list.history.map(\.index).sorted() == Array(0..<30))
        }
    }
}

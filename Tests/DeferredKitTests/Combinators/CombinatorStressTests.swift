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

    @Test func groupAddedToFromManyThreadsCollectsEverything() {
        for _ in 0..<200 {
            let group = DeferredGroup<Int>()
            let values = group.values()
            DispatchQueue.concurrentPerform(iterations: 20) { i in group.add(.resolved(i)) }
            group.finish()
            #expect(valueOf(values)?.sorted() == Array(0..<20))
        }
    }

    @Test func groupFedFromManyThreadsDeliversEachResultOnce() async throws {
        for _ in 0..<200 {
            let group = DeferredGroup<Int>()
            let inputs = (0..<40).map { _ in Deferred<Int>() }
            for d in inputs { group.add(d) }
            group.finish()
            let results = group.results()
            let consumers = (0..<2).map { _ in
                Task { var got: [Int] = []; for try await r in results { got.append(try r.get()) }; return got }
            }
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            var all: [Int] = []
            for consumer in consumers { all += try await consumer.value }
            #expect(all.sorted() == Array(0..<40))
        }
    }

    @Test func groupInAddOrderFedFromManyThreadsKeepsTheOrder() async throws {
        for _ in 0..<200 {
            let group = DeferredGroup<Int>()
            let inputs = (0..<40).map { _ in Deferred<Int>() }
            for d in inputs { group.add(d) }
            group.finish()
            let results = group.resultsInAddOrder()
            let consumer = Task { var got: [Int] = []; for try await r in results { got.append(try r.get()) }; return got }
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            #expect(try await consumer.value == Array(0..<40))
        }
    }

    @Test func groupReducedFromManyThreadsSumsEverything() {
        for _ in 0..<200 {
            let group = DeferredGroup<Int>()
            let total = group.reduce(batchSize: 3) { $0.reduce(0, +) }
            let inputs = (0..<30).map { _ in Deferred<Int>() }
            for d in inputs { group.add(d) }
            group.finish()
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            #expect(valueOf(total) == .some((0..<30).reduce(0, +)))
        }
    }

    @Test func listObserverCountsEveryCompletionFromManyThreads() {
        for _ in 0..<200 {
            let list = DeferredWatchList<Int>(keepsHistory: true)
            let inputs = (0..<30).map { _ in Deferred<Int>() }
            for d in inputs { list.watch(d) }
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in inputs[i].resolve(i) }
            #expect(list.pendingCount == 0)
            #expect(list.history.map(\.index).sorted() == Array(0..<30))
        }
    }
}

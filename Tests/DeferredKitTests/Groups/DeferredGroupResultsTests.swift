@testable import DeferredKit
import Testing

/// `results()` and `resultsInAddOrder()` (the behaviours of ndb's `QueueFuture` and `SerialQueueFuture`).
@Suite("Groups: results")
struct GroupsResultsTests {
    // MARK: Completion order

    @Test func deliversResultsInCompletionOrder() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>(), c = Deferred<Int>()
        group.add(a)
        group.add(b)
        group.add(c)
        group.finish()
        b.resolve(2)
        c.reject(TestError(3))
        a.resolve(1)
        var seen: [Int] = []
        for try await result in group.results() {
            switch result {
            case .success(let v): seen.append(v)
            case .failure(let e): seen.append(-(e as! TestError).id)
            }
        }
        #expect(seen == [2, -3, 1])
    }

    @Test func consumerWaitsForResultsAndEndsAfterFinish() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>()
        group.add(a)
        let results = group.results()
        let consumer = Task {
            var values: [Int] = []
            for try await result in results { values.append(try result.get()) }
            return values
        }
        a.resolve(1)
        group.add(.resolved(2))
        group.finish()
        #expect(try await consumer.value == [1, 2])
    }

    @Test func finishThrowingEndsAfterTheRemainingResults() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>()
        group.add(.resolved(1))
        group.add(a)
        group.finish(throwing: TestError(9))
        var iterator = group.results().makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        a.resolve(2)
        #expect(try await iterator.next().map { try $0.get() } == 2)
        await #expect(throws: TestError(9)) { try await iterator.next() }
    }

    @Test func cancelAllDeliversEachInputsFinalResult() async throws {
        let group = DeferredGroup<Int>()
        let pending = Deferred<Int>()
        group.add(pending)
        group.cancelAll()
        group.finish()
        var iterator = group.results().makeAsyncIterator()
        #expect(isCancellation(try await iterator.next()))
        #expect(try await iterator.next() == nil)
        #expect(isCancelled(pending))
    }

    @Test func emptyAfterFinishEndsAtOnce() async throws {
        let group = DeferredGroup<Int>()
        group.finish()
        var iterator = group.results().makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }

    @Test func waitingConsumerCanBeCancelledWithoutLosingResults() async throws {
        let group = DeferredGroup<Int>()
        let results = group.results()
        let waiting = Task { var it = results.makeAsyncIterator(); return try await it.next() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        group.add(.resolved(5))
        group.finish()
        var iterator = results.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 5)
    }

    // MARK: Add order

    @Test func addOrderDeliversResultsInTheOrderAdded() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>()
        group.add(a)
        group.add(b)
        group.add(.resolved(3))
        group.finish()
        b.resolve(2)
        let results = group.resultsInAddOrder()
        let consumer = Task {
            var values: [Int] = []
            for try await result in results { values.append(try result.get()) }
            return values
        }
        a.resolve(1)
        #expect(try await consumer.value == [1, 2, 3])
    }

    @Test func addOrderFailuresAreElementsNotTheEnd() async throws {
        let group = DeferredGroup<Int>()
        group.add(.rejected(TestError(1)))
        group.add(.resolved(2))
        group.finish()
        var iterator = group.resultsInAddOrder().makeAsyncIterator()
        await #expect(throws: TestError(1)) { try await iterator.next()?.get() }
        #expect(try await iterator.next().map { try $0.get() } == 2)
        #expect(try await iterator.next() == nil)
    }

    @Test func addOrderFinishThrowingEndsAfterEveryInputAdded() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>()
        group.add(a)
        group.finish(throwing: TestError(8))
        a.resolve(1)
        var iterator = group.resultsInAddOrder().makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        await #expect(throws: TestError(8)) { try await iterator.next() }
    }

    // MARK: A consumer that gives up consumes nothing (issue 9, item 1)

    /// The consumer is waiting for the next input in add order when it is cancelled: it must not take
    /// that input's place, and the input's real result goes to the next consumer.
    @Test func addOrderCancelledConsumerLosesNoResult() async throws {
        let group = DeferredGroup<Int>()
        let a = Deferred<Int>()
        group.add(a)
        group.finish()
        let results = group.resultsInAddOrder()
        let gaveUp = Task { var it = results.makeAsyncIterator(); return try await it.next() }
        gaveUp.cancel()
        await #expect(throws: CancellationError.self) { _ = try await gaveUp.value }
        a.resolve(1)
        var iterator = results.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        #expect(try await iterator.next() == nil)
    }

    /// Many consumers give up at random moments while results arrive: every result reaches exactly one
    /// consumer that returned it; none is turned into a `CancellationError` element.
    @Test(arguments: [false, true])
    func cancelledConsumersNeverTurnResultsIntoCancellations(inAddOrder: Bool) async throws {
        let count = 200
        let inputs = (0..<count).map { _ in Deferred<Int>() }
        let group = DeferredGroup<Int>()
        for input in inputs { group.add(input) }
        group.finish()
        let results = inAddOrder ? group.resultsInAddOrder() : group.results()
        let received = Recorder<Int>()
        let quitters = (0..<count).map { _ in
            Task {
                var iterator = results.makeAsyncIterator()
                if let result = try? await iterator.next() { received.append(try result.get()) }
            }
        }
        for (index, input) in inputs.enumerated() {
            if index % 2 == 0 { quitters[index / 2].cancel() }
            input.resolve(index)
        }
        for quitter in quitters { quitter.cancel() }
        var errors: [any Error] = []
        for quitter in quitters {
            if case .failure(let error) = await quitter.result { errors.append(error) }
        }
        #expect(errors.isEmpty)   // no CancellationError arrived as an element
        var rest: [Int] = []
        for try await result in results { rest.append(try result.get()) }
        #expect((received.all + rest).sorted() == Array(0..<count))
    }
}

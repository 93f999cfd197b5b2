@testable import DeferredKit
import Testing

@Suite("Combinators: QueueFuture and SerialQueueFuture")
struct CombinatorsQueueFutureTests {
    // MARK: QueueFuture

    @Test func queueDeliversResultsInCompletionOrder() async throws {
        let queue = QueueFuture<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>(), c = Deferred<Int>()
        queue.add(a)
        queue.add(b)
        queue.add(c)
        queue.complete()
        b.resolve(2)
        c.reject(TestError(3))
        a.resolve(1)
        var seen: [Int] = []
        for try await result in queue {
            switch result {
            case .success(let v): seen.append(v)
            case .failure(let e): seen.append(-(e as! TestError).id)
            }
        }
        #expect(seen == [2, -3, 1])
    }

    @Test func queueConsumerWaitsForResultsAndEndsAfterComplete() async throws {
        let queue = QueueFuture<Int>()
        let a = Deferred<Int>()
        queue.add(a)
        let consumer = Task {
            var values: [Int] = []
            for try await result in queue { values.append(try result.get()) }
            return values
        }
        a.resolve(1)
        queue.put(2)
        queue.complete()
        #expect(try await consumer.value == [1, 2])
    }

    @Test func queueSurfacesFailAfterTheResultsAlreadyReady() async throws {
        let queue = QueueFuture<Int>()
        queue.put(1)
        queue.add(Deferred<Int>())   // still pending at fail: dropped
        queue.fail(TestError(9))
        var iterator = queue.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        await #expect(throws: TestError(9)) { try await iterator.next() }
    }

    @Test func queueEmptyAfterCompleteEndsAtOnce() async throws {
        let queue = QueueFuture<Int>()
        queue.complete()
        var iterator = queue.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }

    @Test func queueWaitingConsumerCanBeCancelledWithoutLosingItems() async throws {
        let queue = QueueFuture<Int>()
        let waiting = Task { var it = queue.makeAsyncIterator(); return try await it.next() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        queue.put(5)
        queue.complete()
        var iterator = queue.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 5)
    }

    @Test func queueAddingAfterCompleteIsAClearError() async {
        await #expect(processExitsWith: .failure) {
            let queue = QueueFuture<Int>()
            queue.complete()
            queue.put(1)
        }
    }

    // MARK: SerialQueueFuture

    @Test func serialQueueDeliversResultsInInsertionOrder() async throws {
        let queue = SerialQueueFuture<Int>()
        let a = Deferred<Int>(), b = Deferred<Int>()
        queue.add(a)
        queue.add(b)
        queue.put(3)
        queue.complete()
        b.resolve(2)
        let consumer = Task {
            var values: [Int] = []
            for try await result in queue { values.append(try result.get()) }
            return values
        }
        a.resolve(1)
        #expect(try await consumer.value == [1, 2, 3])
    }

    @Test func serialQueueFailuresAreElementsNotTheEnd() async throws {
        let queue = SerialQueueFuture<Int>()
        queue.add(.rejected(TestError(1)))
        queue.put(2)
        queue.complete()
        var iterator = queue.makeAsyncIterator()
        await #expect(throws: TestError(1)) { try await iterator.next()?.get() }
        #expect(try await iterator.next().map { try $0.get() } == 2)
        #expect(try await iterator.next() == nil)
    }

    @Test func serialQueueSurfacesFailAfterTheRemainingItems() async throws {
        let queue = SerialQueueFuture<Int>()
        let a = Deferred<Int>()
        queue.add(a)
        queue.fail(TestError(8))
        a.resolve(1)
        var iterator = queue.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        await #expect(throws: TestError(8)) { try await iterator.next() }
    }

    @Test func serialQueueCompletingTwiceIsAClearError() async {
        await #expect(processExitsWith: .failure) {
            let queue = SerialQueueFuture<Int>()
            queue.complete()
            queue.complete()
        }
    }
}

// MARK: - A consumer that gives up consumes nothing

@Suite("Combinators: queue consumers that give up")
struct CombinatorsQueueCancelledConsumerTests {
    /// The consumer is waiting for the next input in add order when it is cancelled: it must not take
    /// that input's place, and the input's real result goes to the next consumer.
    @Test func serialQueueCancelledConsumerLosesNoResult() async throws {
        let queue = SerialQueueFuture<Int>()
        let a = Deferred<Int>()
        queue.add(a)
        queue.complete()
        let gaveUp = Task { var it = queue.makeAsyncIterator(); return try await it.next() }
        gaveUp.cancel()
        await #expect(throws: CancellationError.self) { _ = try await gaveUp.value }
        a.resolve(1)
        var iterator = queue.makeAsyncIterator()
        #expect(try await iterator.next().map { try $0.get() } == 1)
        #expect(try await iterator.next() == nil)
    }

    /// Many consumers give up at random moments while results arrive: every result reaches exactly one
    /// consumer that returned it, none is turned into a `CancellationError` element.
    @Test(arguments: [false, true])
    func cancelledConsumersNeverTurnResultsIntoCancellations(addOrder: Bool) async throws {
        let count = 200
        let inputs = (0..<count).map { _ in Deferred<Int>() }
        let next: @Sendable () async throws -> Result<Int, any Error>?
        if addOrder {
            let queue = SerialQueueFuture<Int>()
            for input in inputs { queue.add(input) }
            queue.complete()
            next = { var it = queue.makeAsyncIterator(); return try await it.next() }
        } else {
            let queue = QueueFuture<Int>()
            for input in inputs { queue.add(input) }
            queue.complete()
            next = { var it = queue.makeAsyncIterator(); return try await it.next() }
        }
        let received = Recorder<Int>()
        let quitters = (0..<count).map { _ in
            Task {
                if let result = try? await next() { received.append(try result.get()) }
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
        while let result = try await next() { rest.append(try result.get()) }
        #expect((received.all + rest).sorted() == Array(0..<count))
    }
}

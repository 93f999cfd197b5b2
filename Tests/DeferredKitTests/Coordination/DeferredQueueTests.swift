import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredQueueTests {
        @Test func putHandsElementToOldestWaitingGet() throws {
            let queue = DeferredQueue<Int>()
            let first = try queue.get()
            let second = try queue.get()
            queue.put(1)
            #expect(try first.result?.get() == 1)
            #expect(!second.isComplete)
            queue.put(2)
            #expect(try second.result?.get() == 2)
            #expect(queue.count == 0)
        }

        @Test func getReturnsCompletedDeferredWhenBuffered() throws {
            let queue = DeferredQueue<String>()
            queue.put("a")
            queue.put("b")
            #expect(queue.count == 2)
            #expect(try queue.get().result?.get() == "a")
            #expect(try queue.get().result?.get() == "b")
            #expect(try !queue.get().isComplete)
        }

        @Test func offerPastCapacityThrowsOverflow() throws {
            let queue = DeferredQueue<Int>(capacity: 2)
            try queue.offer(1)
            try queue.offer(2)
            #expect(throws: DeferredQueueOverflowError(capacity: 2)) { try queue.offer(3) }
            #expect(queue.count == 2)
            #expect(queue.waitingPutCount == 0)
        }

        @Test func putToWaitingGetIgnoresCapacity() throws {
            let queue = DeferredQueue<Int>(capacity: 0)
            let waiting = try queue.get()
            queue.put(9)
            #expect(try waiting.result?.get() == 9)
        }

        @Test func getPastMaxPendingGetsThrowsUnderflow() throws {
            let queue = DeferredQueue<Int>(maxPendingGets: 1)
            _ = try queue.get()
            #expect(throws: DeferredQueueUnderflowError(maxPendingGets: 1)) { try queue.get() }
        }

        @Test func negativeCapacityIsAPreconditionFailure() async {
            await #expect(processExitsWith: .failure) {
                _ = DeferredQueue<Int>(capacity: -1)
            }
        }

        @Test func limitsAreUnboundedByDefault() throws {
            let queue = DeferredQueue<Int>()
            for i in 0..<1000 { queue.put(i) }
            #expect(queue.count == 1000)
            let drained = DeferredQueue<Int>()
            for _ in 0..<1000 { _ = try drained.get() }
            #expect(drained.waitingGetCount == 1000)
        }

        @Test func cancellingPendingGetRemovesItSoNextPutIsBuffered() throws {
            let queue = DeferredQueue<Int>()
            let get = try queue.get()
            get.cancel()
            #expect(queue.waitingGetCount == 0)
            if case .failure(let error)? = get.result { #expect(error is CancellationError) } else { Issue.record("not rejected") }
            queue.put(5)
            #expect(queue.count == 1)
            #expect(try queue.get().result?.get() == 5)
        }

        @Test func cancellingOneOfSeveralGetsKeepsOrder() throws {
            let queue = DeferredQueue<Int>()
            let gets = try (0..<3).map { _ in try queue.get() }
            gets[1].cancel()
            queue.put(10)
            queue.put(20)
            #expect(try gets[0].result?.get() == 10)
            #expect(try gets[2].result?.get() == 20)
        }

        @Test func takeAwaitsTheNextPut() async throws {
            let queue = DeferredQueue<Int>()
            let taker = Task { try await queue.take() }
            await eventually { queue.waitingGetCount == 1 }
            queue.put(7)
            #expect(try await taker.value == 7)
        }

        @Test func cancellingTaskInTakeRemovesWaiter() async throws {
            let queue = DeferredQueue<Int>()
            let taker = Task { try await queue.take() }
            await eventually { queue.waitingGetCount == 1 }
            taker.cancel()
            await #expect(throws: CancellationError.self) { try await taker.value }
            #expect(queue.waitingGetCount == 0)
            queue.put(1)
            #expect(queue.count == 1)
        }

        @Test func iteratesAsAsyncSequenceUntilFinished() async throws {
            let queue = DeferredQueue<Int>()
            for i in 0..<3 { queue.put(i) }
            queue.finish()
            var seen: [Int] = []
            for try await element in queue { seen.append(element) }
            #expect(seen == [0, 1, 2])
        }

        @Test func finishRejectsWaitingGetsAndLaterPuts() throws {
            let queue = DeferredQueue<Int>()
            let waiting = try queue.get()
            queue.finish()
            if case .failure(let error)? = waiting.result { #expect(error is DeferredQueueFinishedError) } else { Issue.record("not rejected") }
            #expect(throws: DeferredQueueFinishedError()) { try queue.offer(1) }
            #expect(throws: DeferredQueueFinishedError()) { try queue.put(1).result?.get() }
            #expect(throws: DeferredQueueFinishedError.self) { try queue.get().result?.get() }
            #expect(queue.isFinished)
        }

        // MARK: Backpressure

        @Test func putOnAFullQueueWaitsForSpace() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            #expect(queue.put(1).isComplete)
            let second = queue.put(2)
            #expect(!second.isComplete)
            #expect(queue.count == 1)
            #expect(queue.waitingPutCount == 1)
            // Taking makes room: the waiting put's element enters and its Deferred completes.
            #expect(try queue.get().result?.get() == 1)
            #expect(second.isComplete)
            #expect(queue.count == 1)
            #expect(queue.waitingPutCount == 0)
            #expect(try queue.get().result?.get() == 2)
        }

        @Test func waitingPutsEnterInOrder() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            queue.put(0)
            let puts = (1...3).map { queue.put($0) }
            var taken: [Int] = []
            for _ in 0...3 { taken.append(try #require(try queue.get().result?.get())) }
            #expect(taken == [0, 1, 2, 3])
            #expect(puts.allSatisfy { $0.isComplete })
        }

        @Test func capacityZeroHandsOverOnlyToAGet() throws {
            let queue = DeferredQueue<String>(capacity: 0)
            let put = queue.put("x")
            #expect(!put.isComplete)
            #expect(queue.count == 0)
            #expect(try queue.get().result?.get() == "x")
            #expect(put.isComplete)
        }

        @Test func cancellingAWaitingPutWithdrawsItAndPutsNothing() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            queue.put(1)
            let withdrawn = queue.put(2)
            let kept = queue.put(3)
            withdrawn.cancel()
            #expect(isCancellation(withdrawn.result))
            #expect(queue.waitingPutCount == 1)
            #expect(try queue.get().result?.get() == 1)
            #expect(try queue.get().result?.get() == 3)
            #expect(kept.isComplete)
            #expect(queue.count == 0)
        }

        @Test func cancellingAnAdmittedPutDoesNothing() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            queue.put(1)
            let admitted = queue.put(2)
            _ = try queue.get()
            admitted.cancel()
            #expect(admitted.result.map { (try? $0.get()) != nil } == true)
            #expect(try queue.get().result?.get() == 2)
        }

        @Test func cancellingADerivedPutWithdrawsTheWaitingPut() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            queue.put(1)
            let derived = queue.put(2).map { "in" }
            derived.cancel()
            #expect(queue.waitingPutCount == 0)
            #expect(try queue.get().result?.get() == 1)
            #expect(queue.count == 0)
        }

        @Test func finishRefusesWaitingPuts() throws {
            let queue = DeferredQueue<Int>(capacity: 1)
            queue.put(1)
            let waiting = queue.put(2)
            queue.finish()
            #expect(throws: DeferredQueueFinishedError()) { try waiting.result?.get() }
            // The buffered element is still delivered, then the queue reports the end.
            #expect(try queue.get().result?.get() == 1)
            #expect(throws: DeferredQueueFinishedError()) { try queue.get().result?.get() }
        }

        @Test func producerAwaitingPutNeverRunsAheadOfTheConsumer() async throws {
            let queue = DeferredQueue<Int>(capacity: 2)
            let maxBuffered = Shared(0)
            let producer = Task {
                for i in 0..<50 {
                    try await queue.put(i).value
                    let count = queue.count
                    maxBuffered.update { $0 = max($0, count) }
                }
                queue.finish()
            }
            var seen: [Int] = []
            for try await element in queue { seen.append(element) }
            try await producer.value
            #expect(seen == Array(0..<50))
            #expect(maxBuffered.value <= 2)
        }

        @Test func cancellingATaskAwaitingPutWithdrawsIt() async throws {
            let queue = DeferredQueue<Int>(capacity: 0)
            let producer = Task { try await queue.put(42).value }
            await eventually { queue.waitingPutCount == 1 }
            producer.cancel()
            await #expect(throws: CancellationError.self) { try await producer.value }
            #expect(queue.waitingPutCount == 0)
            let get = try queue.get()
            #expect(!get.isComplete)  // 42 was never put
            get.cancel()
        }
    }
}

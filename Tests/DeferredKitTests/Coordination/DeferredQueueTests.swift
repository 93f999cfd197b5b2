import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredQueueTests {
        @Test func putHandsElementToOldestWaitingGet() throws {
            let queue = DeferredQueue<Int>()
            let first = try queue.get()
            let second = try queue.get()
            try queue.put(1)
            #expect(try first.result?.get() == 1)
            #expect(!second.isComplete)
            try queue.put(2)
            #expect(try second.result?.get() == 2)
            #expect(queue.count == 0)
        }

        @Test func getReturnsCompletedDeferredWhenBuffered() throws {
            let queue = DeferredQueue<String>()
            try queue.put("a")
            try queue.put("b")
            #expect(queue.count == 2)
            #expect(try queue.get().result?.get() == "a")
            #expect(try queue.get().result?.get() == "b")
            #expect(try !queue.get().isComplete)
        }

        @Test func putPastSizeThrowsQueueOverflow() throws {
            let queue = DeferredQueue<Int>(size: 2)
            try queue.put(1)
            try queue.put(2)
            #expect(throws: QueueOverflow(size: 2)) { try queue.put(3) }
            #expect(queue.count == 2)
        }

        @Test func putToWaitingGetIgnoresSize() throws {
            let queue = DeferredQueue<Int>(size: 0)
            let waiting = try queue.get()
            try queue.put(9)
            #expect(try waiting.result?.get() == 9)
        }

        @Test func getPastBacklogThrowsQueueUnderflow() throws {
            let queue = DeferredQueue<Int>(backlog: 1)
            _ = try queue.get()
            #expect(throws: QueueUnderflow(backlog: 1)) { try queue.get() }
        }

        @Test func limitsAreUnboundedByDefault() throws {
            let queue = DeferredQueue<Int>()
            for i in 0..<1000 { try queue.put(i) }
            #expect(queue.count == 1000)
            let drained = DeferredQueue<Int>()
            for _ in 0..<1000 { _ = try drained.get() }
            #expect(drained.waitingCount == 1000)
        }

        @Test func cancellingPendingGetRemovesItSoNextPutIsBuffered() throws {
            let queue = DeferredQueue<Int>()
            let get = try queue.get()
            get.cancel()
            #expect(queue.waitingCount == 0)
            if case .failure(let error)? = get.result { #expect(error is CancellationError) } else { Issue.record("not rejected") }
            try queue.put(5)
            #expect(queue.count == 1)
            #expect(try queue.get().result?.get() == 5)
        }

        @Test func cancellingOneOfSeveralGetsKeepsOrder() throws {
            let queue = DeferredQueue<Int>()
            let gets = try (0..<3).map { _ in try queue.get() }
            gets[1].cancel()
            try queue.put(10)
            try queue.put(20)
            #expect(try gets[0].result?.get() == 10)
            #expect(try gets[2].result?.get() == 20)
        }

        @Test func takeAwaitsTheNextPut() async throws {
            let queue = DeferredQueue<Int>()
            let taker = Task { try await queue.take() }
            await eventually { queue.waitingCount == 1 }
            try queue.put(7)
            #expect(try await taker.value == 7)
        }

        @Test func cancellingTaskInTakeRemovesWaiter() async throws {
            let queue = DeferredQueue<Int>()
            let taker = Task { try await queue.take() }
            await eventually { queue.waitingCount == 1 }
            taker.cancel()
            await #expect(throws: CancellationError.self) { try await taker.value }
            #expect(queue.waitingCount == 0)
            try queue.put(1)
            #expect(queue.count == 1)
        }

        @Test func iteratesAsAsyncSequenceUntilFinished() async throws {
            let queue = DeferredQueue<Int>()
            for i in 0..<3 { try queue.put(i) }
            queue.finish()
            var seen: [Int] = []
            for try await element in queue { seen.append(element) }
            #expect(seen == [0, 1, 2])
        }

        @Test func finishRejectsWaitingGetsAndLaterPuts() throws {
            let queue = DeferredQueue<Int>()
            let waiting = try queue.get()
            queue.finish()
            if case .failure(let error)? = waiting.result { #expect(error is QueueFinished) } else { Issue.record("not rejected") }
            #expect(throws: QueueFinished()) { try queue.put(1) }
            #expect(throws: QueueFinished.self) { try queue.get().result?.get() }
        }
    }
}

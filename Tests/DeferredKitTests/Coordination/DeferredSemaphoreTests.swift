import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredSemaphoreTests {
        @Test func tokensBelowOneAreAPreconditionFailure() async {
            await #expect(processExitsWith: .failure) {
                _ = DeferredSemaphore(tokens: 0)
            }
        }

        @Test func acquiresUpToNAtOnceThenQueuesInOrder() throws {
            let semaphore = DeferredSemaphore(tokens: 3)
            let granted = (0..<5).map { _ in semaphore.acquire() }
            #expect(granted.map(\.isComplete) == [true, true, true, false, false])
            #expect(semaphore.availableTokens == 0)
            #expect(semaphore.waitingCount == 2)
            semaphore.release()
            #expect(granted.map(\.isComplete) == [true, true, true, true, false])
            semaphore.release()
            #expect(granted[4].isComplete)
            for _ in 0..<3 { semaphore.release() }
            #expect(semaphore.availableTokens == 3)
        }

        @Test func runLimitsConcurrencyToN() throws {
            let semaphore = DeferredSemaphore(tokens: 3)
            let running = Shared((now: 0, most: 0))
            let works = (0..<10).map { _ in Deferred<Int>() }
            let results = works.map { work in
                semaphore.run { () -> Deferred<Int> in
                    running.update { $0.now += 1; $0.most = max($0.most, $0.now) }
                    return work.always { _ in running.update { $0.now -= 1 } }
                }
            }
            #expect(running.value.now == 3)
            for (i, work) in works.enumerated() {
                #expect(running.value.now == min(3, 10 - i))
                work.resolve(i)
            }
            #expect(running.value.most == 3)
            #expect(try results.map { try $0.result!.get() } == Array(0..<10))
            #expect(semaphore.availableTokens == 3)
        }

        @Test func cancellingPendingAcquireRemovesWaiter() throws {
            let semaphore = DeferredSemaphore(tokens: 1)
            _ = semaphore.acquire()
            let waiting = semaphore.acquire()
            waiting.cancel()
            #expect(semaphore.waitingCount == 0)
            if case .failure(let error)? = waiting.result { #expect(error is CancellationError) } else { Issue.record("not rejected") }
            semaphore.release()
            #expect(semaphore.availableTokens == 1)
        }

        @Test func withTokenRunsBodyAndReturnsToken() async throws {
            let semaphore = DeferredSemaphore(tokens: 2)
            let free = try await semaphore.withToken { semaphore.availableTokens }
            #expect(free == 1)
            #expect(semaphore.availableTokens == 2)
            await #expect(throws: TestError.self) { try await semaphore.withToken { throw TestError() } }
            #expect(semaphore.availableTokens == 2)
        }

        @Test func runWithAsyncBodyReturnsTokenAfterBody() async throws {
            let semaphore = DeferredSemaphore(tokens: 1)
            let gate = Deferred<Void>()
            let result = semaphore.run { try await gate.value; return "ok" }
            #expect(semaphore.availableTokens == 0)
            gate.resolve(())
            #expect(try await result.value == "ok")
            #expect(semaphore.availableTokens == 1)
        }

        @Test func releasingWithNoTokenHeldIsAPreconditionFailure() async {
            await #expect(processExitsWith: .failure) {
                DeferredSemaphore(tokens: 2).release()
            }
        }

        @Test func releaseStormDoesNotRecurse() throws {
            let semaphore = DeferredSemaphore(tokens: 2)
            _ = semaphore.acquire()
            _ = semaphore.acquire()
            let served = Shared(0)
            for _ in 0..<50_000 {
                semaphore.acquire().whenComplete { _ in
                    served.update { $0 += 1 }
                    semaphore.release()
                }
            }
            semaphore.release()
            semaphore.release()
            #expect(served.value == 50_000)
            #expect(semaphore.availableTokens == 2)
        }
    }
}

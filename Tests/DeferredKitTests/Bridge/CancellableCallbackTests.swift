import Testing
@testable import DeferredKit

@Suite("Callback adapters that cancel")
struct CancellableCallbackTests {
    /// A legacy API that keeps its completion handler while the work runs.
    final class LegacyWork: Sendable {
        let handler = Locked<(@Sendable (Result<Int, any Error>) -> Void)?>(nil)
        func start(_ done: @escaping @Sendable (Result<Int, any Error>) -> Void) { handler.withLock { $0 = done } }
    }

    @Test func cancellingRunsTheReturnedCancelAction() {
        let aborted = Counter()
        let legacy = LegacyWork()
        let d = Deferred<Int>.fromCancellableCallback { done in
            legacy.start(done)
            return { aborted.increment() }
        }
        d.cancel()
        #expect(aborted.count == 1)
        #expect(isCancellation(d.result))
    }

    @Test func aCancelActionThatCallsBackDecidesTheResult() {
        let d = Deferred<Int>.fromCancellableCallback { done in
            return { done(.failure(TestError(5))) }
        }
        d.cancel()
        #expect(d.result?.failureError as? TestError == TestError(5))
    }

    @Test func cancellingTheLastDependentReachesTheLegacyWork() {
        let aborted = Counter()
        let legacy = LegacyWork()
        let d = Deferred<Int>.fromCancellableCallback { done in
            legacy.start(done)
            return { aborted.increment() }
        }
        let doubled = d.map { $0 * 2 }
        doubled.cancel()
        #expect(aborted.count == 1)
        #expect(isCancellation(doubled.result))
    }

    @Test func workThatFinishedFirstIsNotAborted() {
        let aborted = Counter()
        let d = Deferred<Int>.fromCancellableCallback { done in
            done(.success(1))
            return { aborted.increment() }
        }
        d.cancel()
        #expect(aborted.count == 0)
        #expect(d.result?.successValue == 1)
    }

    @Test func anOptionalErrorHandlerMakesADeferredOfVoid() {
        let ok = Deferred<Void>.fromCallback { (done: @escaping @Sendable ((any Error)?) -> Void) in done(nil) }
        let failed = Deferred<Void>.fromCallback { (done: @escaping @Sendable ((any Error)?) -> Void) in done(TestError(3)) }
        #expect(ok.result?.successValue != nil)
        #expect(failed.result?.failureError as? TestError == TestError(3))
    }

    @Test func aTaskThatCannotFailBecomesADeferred() async throws {
        let gate = Deferred<Int>()
        let task = Task { await gate.settled.successValue ?? -1 }
        let d = Deferred(task)
        gate.resolve(9)
        #expect(try await d.value == 9)
    }

    @Test func cancellingADeferredOfANeverFailingTaskCancelsTheTask() async throws {
        let task = Task { () -> Bool in
            while !Task.isCancelled { await Task.yield() }
            return true
        }
        let d = Deferred(task)
        d.cancel()
        #expect(try await d.value == true)
    }
}

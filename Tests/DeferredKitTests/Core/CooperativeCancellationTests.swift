import Testing
@testable import DeferredKit

/// Cancellation is a request: whoever makes the work stop receives its final outcome (the intent of
/// Twisted's inlineCallbacks `CancellationTests` and of `await task.value` after `task.cancel()`).
@Suite("Cooperative cancellation")
struct CooperativeCancellationTests {
    // MARK: Derived Deferreds

    @Test func aRecoverBeforeTheCancelledLinkHandlesTheCancellation() {
        let source = Deferred<Int>()
        let tail = source.recover { error in error is CancellationError ? -1 : 0 }.map { $0 * 10 }
        tail.cancel()
        #expect(tail.result?.successValue == -10)
        #expect(isCancellation(source.result))
    }

    @Test func asynchronousCancellationThroughAFlatRecoverThatReturnsAPendingDeferred() {
        let source = Deferred<String>()
        let cleanUp = Deferred<String>()
        let tail = source
            .flatRecover { error in error is CancellationError ? cleanUp : .rejected(error) }
            .map { $0 + "!" }
        tail.cancel()
        #expect(tail.result == nil)  // still finishing its clean-up
        cleanUp.resolve("cleaned")
        #expect(tail.result?.successValue == "cleaned!")
    }

    @Test func theLastDependentReceivesTheCancellersError() {
        let source = Deferred<Int> { $0.reject(TestError(3)) }
        let translated = source.mapError { _ in TestError(4) }
        translated.cancel()
        #expect(translated.result?.failureError as? TestError == TestError(4))
    }

    @Test func withOtherDependentsTheWithdrawingPartyIsRejectedAtOnceAndTheSourceGoesOn() {
        let source = Deferred<Int>()
        let leaving = source.recover { _ in -1 }
        let staying = source.map { $0 + 1 }
        leaving.cancel()
        #expect(isCancellation(leaving.result))  // its recover never saw a cancellation of the source
        #expect(source.result == nil)
        source.resolve(1)
        #expect(staying.result?.successValue == 2)
    }

    @Test func aCancelledChainCompletesThroughEveryTransformFromTheFinalResult() {
        let source = Deferred<Int>()
        let a = source.recover { _ in 1 }
        let b = a.map { $0 + 1 }
        let c = b.map { $0 * 10 }
        c.cancel()
        #expect(a.result?.successValue == 1)
        #expect(b.result?.successValue == 2)
        #expect(c.result?.successValue == 20)
    }

    // MARK: Nested tasklets

    @Test func cancellationCascadesThroughStackedTasklets() async {
        let cancelled = Counter()
        let innermost = Deferred<Int> { _ in cancelled.increment() }
        let outer = Deferred { try await Deferred { try await Deferred { try await innermost.value }.value }.value }
        outer.cancel()
        await #expect(throws: CancellationError.self) { try await outer.value }
        #expect(cancelled.count == 1)
    }

    @Test func anErrorTranslatedToSuccessOneLevelDownReachesTheOuterTasklet() async throws {
        let work = Deferred<Int> { $0.reject(TestError(1)) }
        let outer = Deferred {
            try await Deferred {
                do { return try await work.value } catch let error as TestError { return error.id * 100 }
            }.value
        }
        outer.cancel()
        #expect(try await outer.value == 100)
    }

    @Test func anErrorTranslatedToAnotherErrorTwoLevelsDownReachesTheOuterTasklet() async throws {
        let work = Deferred<Int> { $0.reject(TestError(1)) }
        let outer = Deferred { () async throws -> Int in
            do {
                return try await Deferred {
                    try await Deferred {
                        do { return try await work.value } catch is TestError { throw TestError(2) }
                    }.value
                }.value
            } catch let error as TestError {
                return error.id  // the translated error travelled up two levels
            }
        }
        outer.cancel()
        #expect(try await outer.value == 2)
    }

    @Test func anInnerBodyThatCatchesTheCancellationLetsTheOuterGoOn() async throws {
        let gate = Deferred<Void>()
        let outer = Deferred {
            try await Deferred { () async throws -> String in
                do {
                    try await gate.value
                    return "opened"
                } catch is CancellationError {
                    return "cleaned up"
                }
            }.value + "!"
        }
        outer.cancel()
        #expect(try await outer.value == "cleaned up!")
    }

    // MARK: Awaiting tasks

    @Test func theLastAwaiterOfATaskletReceivesTheBodysFinalResult() async throws {
        let gate = Deferred<Void>()
        let work = Deferred { () async throws -> Int in
            do {
                try await gate.value
                return 1
            } catch is CancellationError {
                return 42
            }
        }
        let waiter = Task { try await work.value }
        await waitForDependents(of: work, count: 1)
        waiter.cancel()
        #expect(try await waiter.value == 42)
    }

    @Test func anAwaiterThatIsNotTheLastThrowsCancellationAtOnce() async throws {
        let work = Deferred<Int>()
        let keeper = work.map { $0 }
        let waiter = Task { try await work.value }
        await waitForDependents(of: work, count: 2)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(work.result == nil)
        work.resolve(5)
        #expect(keeper.result?.successValue == 5)
    }
}

/// Waits, without sleeping, until `deferred` has `count` withdrawable dependents registered.
func waitForDependents<Value>(of deferred: Deferred<Value>, count: Int) async {
    while deferred.lock.withLock({ Int(deferred.dependentCount) }) < count {
        await Task.yield()
    }
}

import Testing
@testable import DeferredKit

@Suite struct TimeoutTests {
    @Test func resultBeforeTheDeadlinePassesThroughAndCancelsTheTimer() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let limited = source.timeout(after: .seconds(5), clock: clock)
        source.resolve(1)
        #expect(try limited.result?.get() == 1)
        #expect(clock.scheduledCount == 0)
        clock.advance(by: .seconds(10))
        #expect(try limited.result?.get() == 1)
    }

    @Test func errorBeforeTheDeadlinePassesThrough() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let limited = source.timeout(after: .seconds(5), clock: clock)
        source.reject(Flake(number: 2))
        #expect(limited.result?.failureValue as? Flake == Flake(number: 2))
    }

    @Test func deadlineRejectsWithTimeoutErrorAndCancelsTheSource() throws {
        let clock = ManualClock()
        let cancelled = TimeLog<Bool>()
        let source = Deferred<Int>(canceller: { _ in cancelled.append(true) })
        let limited = source.timeout(after: .seconds(5), clock: clock)
        clock.advance(by: .seconds(5))
        let error = limited.result?.failureValue as? DeferredTimeoutError
        #expect(error?.duration == .seconds(5))
        #expect(cancelled.all == [true])
        #expect(source.result?.failureValue is CancellationError)
    }

    @Test func cancellerSuppliedValueWinsOverTheTimeout() throws {
        let clock = ManualClock()
        let source = Deferred<String>(canceller: { d in d.resolve("partial") })
        let limited = source.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(try limited.result?.get() == "partial")
    }

    @Test func cancellerSuppliedErrorWinsOverTheTimeout() throws {
        let clock = ManualClock()
        let source = Deferred<String>(canceller: { d in d.reject(Flake(number: 9)) })
        let limited = source.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(limited.result?.failureValue as? Flake == Flake(number: 9))
    }

    @Test func manualCancelBeforeTheDeadlineGivesCancellationErrorNotTimeout() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let limited = source.timeout(after: .seconds(5), clock: clock)
        limited.cancel()
        #expect(limited.result?.failureValue is CancellationError)
        #expect(source.result?.failureValue is CancellationError)   // nobody else wanted it
        #expect(clock.scheduledCount == 0)
        clock.advance(by: .seconds(5))
        #expect(limited.result?.failureValue is CancellationError)
    }

    @Test func sourceWithOtherDependentsGoesOnAfterTheTimeout() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let other = source.map { $0 * 2 }
        let limited = source.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(limited.result?.failureValue is DeferredTimeoutError)
        #expect(!source.isComplete)
        source.resolve(4)
        #expect(try other.result?.get() == 8)
    }

    @Test func secondStepReceivesTheFirstStepsTimeoutError() throws {
        let clock = ManualClock()
        let step1 = Deferred<Int>()
        let step2 = step1.timeout(after: .seconds(30), clock: clock).flatRecover { error -> Deferred<Int> in
            .resolved(error is DeferredTimeoutError ? -1 : -2)
        }
        clock.advance(by: .seconds(30))
        #expect(try step2.result?.get() == -1)
    }

    @Test func timingOutAnAsyncTaskletCancelsItsTask() async throws {
        let clock = ManualClock()
        let work = Deferred<Int> { try await clock.sleep(for: .seconds(100)); return 1 }
        let limited = work.timeout(after: .seconds(1), clock: clock)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        // The output waits for the task's final result: the cancellation, reported as a timeout.
        #expect(await limited.settled.failureValue is DeferredTimeoutError)
        let finished = await work.settled
        #expect(finished.failureValue is CancellationError)
    }

    @Test func theTimeoutDoesNotKeepItsSourceAlive() throws {
        let clock = ManualClock()
        weak var weakSource: Deferred<Int>?
        var limited: Deferred<Int>?
        do {
            let source = Deferred<Int>()
            weakSource = source
            limited = source.timeout(after: .seconds(5), clock: clock)
        }
        #expect(weakSource == nil)
        #expect(limited != nil)
    }

    @Test func timeoutAtADeadlineRejectsThereWithTheDurationFromTheCall() throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(1))
        let source = Deferred<Int>()
        let limited = source.timeout(at: ManualClock.Instant(offset: .seconds(4)), tolerance: .zero, clock: clock)
        clock.advance(by: .seconds(2))
        #expect(!limited.isComplete)
        clock.advance(by: .seconds(1))
        let error = try #require(limited.result?.failureValue as? DeferredTimeoutError)
        #expect(error.duration == .seconds(3))
        #expect(error == DeferredTimeoutError(duration: .seconds(3), site: error.site))
    }
}

// MARK: - Cooperative timeouts (after Twisted's DeferredAddTimeoutTests)

@Suite struct CooperativeTimeoutTests {
    @Test func aRecoverBeforeTheTimeoutThatSuppressesTheCancellationGivesItsValue() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let limited = source.recover { error in
            guard error is CancellationError else { throw error }
            return -1
        }.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(try limited.result?.get() == -1)
        #expect(source.result?.failureValue is CancellationError)
    }

    @Test func aRecoverThatTranslatesTheCancellationPassesItsError() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let limited = source.mapError { _ in Flake(number: 11) }.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(limited.result?.failureValue as? Flake == Flake(number: 11))
    }

    @Test func anAsynchronousCleanUpAfterTheCancellationIsWaitedFor() throws {
        let clock = ManualClock()
        let source = Deferred<String>()
        let cleanUp = Deferred<String>()
        let limited = source.flatRecover { _ in cleanUp }.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(!limited.isComplete)   // the clean-up is still running
        cleanUp.resolve("cleaned up")
        #expect(try limited.result?.get() == "cleaned up")
    }

    @Test func aTaskBodyThatCatchesTheCancellationGivesItsValue() async throws {
        let clock = ManualClock()
        let work = Deferred<Int> {
            do {
                try await clock.sleep(for: .seconds(100))
                return 1
            } catch {
                return -7
            }
        }
        let limited = work.timeout(after: .seconds(1), clock: clock)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await limited.value == -7)
    }

    @Test func aTaskBodyThatTranslatesTheCancellationGivesItsError() async throws {
        let clock = ManualClock()
        let work = Deferred<Int> {
            do {
                try await clock.sleep(for: .seconds(100))
                return 1
            } catch {
                throw Flake(number: 4)
            }
        }
        let limited = work.timeout(after: .seconds(1), clock: clock)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await #expect(throws: Flake(number: 4)) { try await limited.value }
    }

    @Test func aSourceOthersStillWantTimesOutAtOnceAndGoesOnForThem() throws {
        let clock = ManualClock()
        let source = Deferred<Int>()
        let other = source.recover { _ in -1 }
        let limited = source.recover { _ in -2 }.timeout(after: .seconds(1), clock: clock)
        let shared = source.timeout(after: .seconds(1), clock: clock)
        clock.advance(by: .seconds(1))
        // Its recover link was cancelled, but the source goes on for others: the link is rejected with
        // CancellationError without running its transform, which the timeout reports as a timeout.
        #expect(limited.result?.failureValue is DeferredTimeoutError)
        #expect(shared.result?.failureValue is DeferredTimeoutError)
        #expect(!source.isComplete && !other.isComplete)
    }

    @Test func cancellingTheOutputPassesTheSourcesFinalResult() throws {
        let clock = ManualClock()
        let source = Deferred<String>(canceller: { d in d.resolve("partial") })
        let limited = source.timeout(after: .seconds(5), clock: clock)
        limited.cancel()
        #expect(try limited.result?.get() == "partial")
        #expect(clock.scheduledCount == 0)
    }
}

// MARK: - Owned Deferreds

@Suite struct OwnedTimeDeferredTests {
    @Test func usersCannotCompleteWhatTheTimeUtilitiesOwn() throws {
        let clock = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(1), clock: clock)
        let source = Deferred<Int>()
        let limited = source.timeout(after: .seconds(1), clock: clock)
        let attempt = Deferred<Int>()
        let retried = Deferred<Int>.retrying(backoff: [.zero], clock: clock) { attempt }
        #expect(!nap.resolve(()))
        #expect(!limited.resolve(1))
        #expect(!retried.reject(Flake(number: 1)))
        #expect(!nap.isComplete && !limited.isComplete && !retried.isComplete)
        clock.advance(by: .seconds(1))
        #expect(nap.isComplete)
        #expect(limited.result?.failureValue is DeferredTimeoutError)
        attempt.resolve(3)
        #expect(try retried.result?.get() == 3)
        #expect(source.result?.failureValue is CancellationError)   // the timeout was its last dependent
    }
}

@Suite struct WithTimeoutTests {
    @Test func returnsTheValueWhenTheOperationFinishesInTime() async throws {
        let value = try await withTimeout(.seconds(5), clock: ManualClock()) { 42 }
        #expect(value == 42)
    }

    @Test func throwsTheTimeoutErrorAndCancelsTheOperationAtTheDeadline() async throws {
        let clock = ManualClock()
        let ended = TimeLog<Bool>()
        let task = Task {
            try await withTimeout(.seconds(1), clock: clock) { () async throws -> Int in
                do {
                    try await clock.sleep(for: .seconds(100))
                } catch {
                    ended.append(Task.isCancelled)
                    throw error
                }
                return 1
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await #expect(throws: DeferredTimeoutError.self) { try await task.value }
        #expect(ended.all == [true])
    }

    @Test func aDeadlineThatHasPassedTimesOutAtOnce() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        await #expect(throws: DeferredTimeoutError.self) {
            try await withTimeout(at: ManualClock.Instant(offset: .seconds(1)), clock: clock) { () async throws -> Int in
                try await clock.sleep(for: .seconds(100))
                return 1
            }
        }
    }
}

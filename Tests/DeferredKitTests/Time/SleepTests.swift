import Testing
@testable import DeferredKit

@Suite struct SleepTests {
    @Test func sleepResolvesWhenTheClockReachesTheDeadline() throws {
        let clock = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(5), clock: clock)
        clock.advance(by: .milliseconds(4999))
        #expect(!nap.isComplete)
        clock.advance(by: .milliseconds(1))
        #expect(nap.isComplete)
    }

    @Test func zeroDelaySleepResolvesAtOnce() throws {
        let nap = Deferred<Void>.sleep(for: .zero, clock: ManualClock())
        #expect(nap.isComplete)
    }

    @Test func cancellingSleepCancelsTheTimer() throws {
        let clock = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(5), clock: clock)
        nap.cancel()
        #expect(clock.scheduledCount == 0)
        #expect(nap.result?.failureValue is CancellationError)
    }

    @Test func delayedRunsBodyAtTheDeadline() throws {
        let clock = ManualClock()
        let log = TimeLog<Duration>()
        let later = Deferred<String>.delayed(by: .seconds(3), clock: clock) {
            log.append(clock.now.offset)
            return "done"
        }
        #expect(log.all.isEmpty)
        clock.advance(by: .seconds(3))
        #expect(log.all == [.seconds(3)])
        #expect(try later.result?.get() == "done")
    }

    @Test func delayedBodyErrorRejects() throws {
        let clock = ManualClock()
        let later = Deferred<Int>.delayed(by: .seconds(1), clock: clock) { () throws -> Int in throw Flake(number: 1) }
        clock.advance(by: .seconds(1))
        #expect(later.result?.failureValue as? Flake == Flake(number: 1))
    }

    @Test func cancellingDelayedCancelsTheTimerAndNeverRunsBody() throws {
        let clock = ManualClock()
        let log = TimeLog<Int>()
        let later = Deferred<Int>.delayed(by: .seconds(3), clock: clock) { log.append(1); return 1 }
        later.cancel()
        #expect(clock.scheduledCount == 0)
        clock.advance(by: .seconds(5))
        #expect(log.all.isEmpty)
        #expect(later.result?.failureValue is CancellationError)
    }

    @Test func delayedWithDeferredBodyFollowsTheReturnedDeferred() throws {
        let clock = ManualClock()
        let inner = Deferred<Int>()
        let later = Deferred<Int>.delayed(by: .seconds(1), clock: clock) { inner }
        clock.advance(by: .seconds(1))
        #expect(!later.isComplete)
        inner.resolve(7)
        #expect(try later.result?.get() == 7)
    }

    @Test func sleepUntilADeadlineResolvesThereAndAPassedDeadlineAtOnce() throws {
        let clock = ManualClock()
        let nap = Deferred<Void>.sleep(until: clock.now.advanced(by: .seconds(2)), clock: clock)
        clock.advance(by: .seconds(1))
        #expect(!nap.isComplete)
        clock.advance(by: .seconds(1))
        #expect(nap.isComplete)
        #expect(Deferred<Void>.sleep(until: ManualClock.Instant(offset: .zero), clock: clock).isComplete)
    }

    @Test func delayedUntilADeadlineRunsItsBodyThere() throws {
        let clock = ManualClock()
        let deadline = clock.now.advanced(by: .seconds(4))
        let plain = Deferred<Int>.delayed(until: deadline, clock: clock) { 1 }
        let followed = Deferred<Int>.delayed(until: deadline, tolerance: .seconds(1), clock: clock) { .resolved(2) }
        clock.advance(by: .seconds(3))
        #expect(!plain.isComplete && !followed.isComplete)
        clock.advance(by: .seconds(1))
        #expect(try plain.result?.get() == 1)
        #expect(try followed.result?.get() == 2)
    }

    @Test func timersOnAnotherHashableClockShareOneDriverTask() async throws {
        let manual = ManualClock()
        let clock = ForwardingClock(base: manual)
        let naps = (1...200).map { n in Deferred<Void>.sleep(for: .milliseconds(n), tolerance: .zero, clock: clock) }
        let scheduler = try #require(ClockTimerScheduler.shared(for: clock))
        #expect(scheduler.driversStarted == 1)
        #expect(scheduler.scheduledCount == 200)
        await manual.waitForSleepers(1)
        #expect(manual.scheduledCount == 1)   // one sleeping task for 200 timers
        manual.advance(by: .milliseconds(200))
        for nap in naps { try await nap.value }
        #expect(scheduler.driversStarted == 1)
        #expect(scheduler.scheduledCount == 0)
    }

    @Test func anEarlierDeadlineReplacesTheDriverAndCancelledTimersLeaveTheScheduler() async throws {
        let manual = ManualClock()
        let clock = ForwardingClock(base: manual)
        // Each timer is earlier than the one the driver sleeps until: each starts a driver and the old
        // one (cancelled) leaves the clock at once.
        let late = Deferred<Void>.sleep(for: .seconds(10), clock: clock)
        await manual.waitForSleepers(1)
        let dropped = Deferred<Void>.sleep(for: .seconds(8), clock: clock)
        await manual.waitForSleepers(1)
        let early = Deferred<Void>.sleep(for: .seconds(1), clock: clock)
        let scheduler = try #require(ClockTimerScheduler.shared(for: clock))
        #expect(scheduler.driversStarted == 3)
        dropped.cancel()
        #expect(scheduler.scheduledCount == 2)
        await manual.waitForSleepers(1)
        manual.advance(by: .seconds(1))
        try await early.value
        #expect(!late.isComplete)
        await manual.waitForSleepers(1)
        manual.advance(by: .seconds(9))
        try await late.value
        #expect(dropped.result?.failureValue is CancellationError)
        #expect(scheduler.scheduledCount == 0)
    }

    @Test func sleepOnAClockThatIsNotHashableFallsBackToASleepingTask() async throws {
        let manual = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(1), clock: PlainForwardingClock(base: manual))
        #expect(ClockTimerScheduler.shared(for: PlainForwardingClock(base: manual)) == nil)
        await manual.waitForSleepers(1)
        #expect(!nap.isComplete)
        manual.advance(by: .seconds(1))
        try await nap.value
    }

    @Test func cancellingSleepOnAClockThatIsNotHashableCancelsTheSleepingTask() async throws {
        let manual = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(1), clock: PlainForwardingClock(base: manual))
        await manual.waitForSleepers(1)
        nap.cancel()
        #expect(nap.result?.failureValue is CancellationError)
        // The sleeping task is woken by its cancellation and leaves the clock.
        while manual.scheduledCount > 0 { await Task.yield() }
        #expect(manual.scheduledCount == 0)
    }

    @Test func sleepOnTheContinuousClockUsesItsSharedScheduler() async throws {
        let nap = Deferred<Void>.sleep(for: .milliseconds(1))
        #expect(ClockTimerScheduler.shared(for: ContinuousClock()) === SharedTimerSchedulers.continuous)
        try await nap.value
    }
}

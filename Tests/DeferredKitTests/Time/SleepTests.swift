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

    @Test func sleepOnAnyOtherClockFallsBackToASleepingTask() async throws {
        let manual = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(1), clock: ForwardingClock(base: manual))
        await manual.waitForSleepers(1)
        #expect(!nap.isComplete)
        manual.advance(by: .seconds(1))
        try await nap.value
    }

    @Test func cancellingSleepOnAnyOtherClockCancelsTheSleepingTask() async throws {
        let manual = ManualClock()
        let nap = Deferred<Void>.sleep(for: .seconds(1), clock: ForwardingClock(base: manual))
        await manual.waitForSleepers(1)
        nap.cancel()
        #expect(nap.result?.failureValue is CancellationError)
        // The sleeping task is woken by its cancellation and leaves the clock.
        while manual.scheduledCount > 0 { await Task.yield() }
        #expect(manual.scheduledCount == 0)
    }
}

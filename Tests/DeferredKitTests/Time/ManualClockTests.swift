import Testing
@testable import DeferredKit

@Suite struct ManualClockTests {
    @Test func timeMovesOnlyOnAdvance() throws {
        let clock = ManualClock()
        #expect(clock.now.offset == .zero)
        clock.advance(by: .seconds(3))
        #expect(clock.now.offset == .seconds(3))
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))   // the past: no change
        #expect(clock.now.offset == .seconds(3))
    }

    @Test func advanceFiresDueLibraryTimersBeforeReturning() throws {
        let clock = ManualClock()
        let log = TimeLog<String>()
        let timer = LibraryTimer()
        timer.start(on: clock, after: .seconds(2)) { log.append("fired") }
        clock.advance(by: .seconds(1))
        #expect(log.all.isEmpty)
        clock.advance(by: .seconds(1))
        #expect(log.all == ["fired"])
        #expect(clock.scheduledCount == 0)
    }

    @Test func timersFireInDeadlineOrderWithTheClockAtTheirDeadline() throws {
        let clock = ManualClock()
        let log = TimeLog<(String, Duration)>()
        for (name, seconds) in [("c", 3), ("a", 1), ("b", 2), ("b2", 2)] {
            LibraryTimer().start(on: clock, after: .seconds(seconds)) { log.append((name, clock.now.offset)) }
        }
        clock.advance(by: .seconds(10))
        #expect(log.all.map(\.0) == ["a", "b", "b2", "c"])
        #expect(log.all.map(\.1) == [.seconds(1), .seconds(2), .seconds(2), .seconds(3)])
        #expect(clock.now.offset == .seconds(10))
    }

    @Test func timerScheduledByADueTimerFiresInTheSameAdvance() throws {
        let clock = ManualClock()
        let log = TimeLog<Int>()
        LibraryTimer().start(on: clock, after: .seconds(1)) {
            log.append(1)
            LibraryTimer().start(on: clock, after: .seconds(1)) { log.append(2) }
            LibraryTimer().start(on: clock, after: .seconds(5)) { log.append(3) }
        }
        clock.advance(by: .seconds(2))
        #expect(log.all == [1, 2])
        #expect(clock.scheduledCount == 1)
    }

    @Test func cancelledTimerNeverFires() throws {
        let clock = ManualClock()
        let log = TimeLog<Int>()
        let timer = LibraryTimer()
        timer.start(on: clock, after: .seconds(1)) { log.append(1) }
        timer.cancel()
        #expect(clock.scheduledCount == 0)
        clock.advance(by: .seconds(2))
        #expect(log.all.isEmpty)
    }

    @Test func sleepersWakeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let late = Task { try await clock.sleep(for: .seconds(2)); return clock.now.offset }
        let early = Task { try await clock.sleep(for: .seconds(1)); return clock.now.offset }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(1))
        #expect(try await early.value == .seconds(1))
        #expect(clock.scheduledCount == 1)   // the later sleeper is still asleep
        clock.advance(by: .seconds(1))
        #expect(try await late.value == .seconds(2))
    }

    @Test func cancellingASleeperWakesItWithCancellationError() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(1)
        sleeper.cancel()
        let result = await sleeper.result
        #expect(result.failureValue is CancellationError)
        #expect(clock.scheduledCount == 0)
    }

    @Test func sleepingUntilAPastDeadlineReturnsAtOnce() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(4)))
        #expect(clock.scheduledCount == 0)
    }
}

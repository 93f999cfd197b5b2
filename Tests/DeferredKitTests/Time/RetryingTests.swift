import Testing
@testable import DeferredKit

@Suite struct BackoffTests {
    @Test func defaultExponentialBackoffReproducesTheSeedSequence() throws {
        let expected: [Duration] = [0, 10, 20, 40, 80, 160, 320, 640, 1280, 2560].map { .milliseconds($0) }
        #expect(Array(DeferredBackoff.exponential()) == expected)
    }

    @Test func exponentialBackoffIsCappedAtMaximum() throws {
        let delays = Array(DeferredBackoff.exponential(initial: .seconds(1), multiplier: 3, maximum: .seconds(5), count: 5))
        #expect(delays == [.zero, .seconds(1), .seconds(3), .seconds(5), .seconds(5)])
    }

    @Test func fractionalMultiplierGrowsDelays() throws {
        let delays = Array(DeferredBackoff.exponential(initial: .seconds(1), multiplier: 1.5, count: 3))
        #expect(delays == [.zero, .seconds(1), .seconds(1.5)])
    }

    @Test func jitterKeepsEachDelayWithinItsBounds() throws {
        for _ in 0..<50 {
            let delays = Array(DeferredBackoff.exponential(initial: .seconds(1), count: 4, jitter: 0.5))
            #expect(delays[0] == .zero)
            for (delay, base) in zip(delays.dropFirst(), [1.0, 2.0, 4.0]) {
                #expect(delay >= .seconds(base * 0.5) && delay <= .seconds(base * 1.5))
            }
        }
    }
}

extension BackoffTests {
    @Test func jitterFromASeededGeneratorIsReproducible() throws {
        let backoff = DeferredBackoff.exponential(
            initial: .seconds(1), count: 6, jitter: 0.5, using: TimeSeededGenerator(seed: 7))
        let first = Array(backoff)
        #expect(first == Array(backoff))   // every pass starts from a copy of the generator
        #expect(first != Array(DeferredBackoff.exponential(
            initial: .seconds(1), count: 6, jitter: 0.5, using: TimeSeededGenerator(seed: 8))))
        for (delay, base) in zip(first.dropFirst(), [1.0, 2.0, 4.0, 8.0, 16.0]) {
            #expect(delay >= .seconds(base * 0.5) && delay <= .seconds(base * 1.5))
        }
    }
}

@Suite struct WithRetryTests {
    @Test func returnsTheValueOfTheFirstSuccessfulTry() async throws {
        let calls = TimeLog<Int>()
        let value = try await withRetry(backoff: [.zero, .zero, .zero], clock: ManualClock()) { () async throws -> String in
            calls.append(1)
            if calls.count < 3 { throw Flake(number: calls.count) }
            return "ok"
        }
        #expect(value == "ok")
        #expect(calls.count == 3)
    }

    @Test func throwsRetriesExhaustedWhenEveryTryFails() async throws {
        await #expect(throws: RetriesExhaustedError.self) {
            try await withRetry(backoff: [.zero, .zero], clock: ManualClock()) { () async throws -> Int in
                throw Flake(number: 1)
            }
        }
    }

    @Test func waitsTheBackoffDelaysOnTheClock() async throws {
        let clock = ManualClock()
        let calls = TimeLog<Duration>()
        let task = Task {
            try await withRetry(backoff: [.zero, .seconds(2)], clock: clock) { () async throws -> Int in
                calls.append(clock.now.offset)
                if calls.count < 2 { throw Flake(number: 1) }
                return 2
            }
        }
        while clock.scheduledCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(2))
        #expect(try await task.value == 2)
        #expect(calls.all == [.zero, .seconds(2)])
    }
}

@Suite struct RetryingTests {
    /// An operation that fails `failures` times, then succeeds with the attempt number.
    final class Flaky: Sendable {
        let failures: Int
        let calls = TimeLog<Duration>()
        let clock: ManualClock
        init(failures: Int, clock: ManualClock) { self.failures = failures; self.clock = clock }
        func call() -> Deferred<Int> {
            calls.append(clock.now.offset)
            let n = calls.count
            return n <= failures ? .rejected(Flake(number: n)) : .resolved(n)
        }
    }

    @Test func retriesUntilTheOperationSucceeds() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 2, clock: clock)
        let result = Deferred<Int>.retrying(clock: clock) { flaky.call() }
        #expect(flaky.calls.count == 1)   // the first try runs at once
        clock.advance(by: .milliseconds(10))
        clock.advance(by: .milliseconds(20))
        #expect(try result.result?.get() == 3)
    }

    @Test func waitsTheBackoffDelayBeforeEachTry() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 3, clock: clock)
        let result = Deferred<Int>.retrying(backoff: [.zero, .seconds(1), .seconds(2), .seconds(4)], clock: clock) {
            flaky.call()
        }
        clock.advance(by: .seconds(100))
        #expect(flaky.calls.all == [.zero, .seconds(1), .seconds(3), .seconds(7)])
        #expect(try result.result?.get() == 4)
    }

    @Test func exhaustedTriesRejectWithTheFirstFailureAndEveryError() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 100, clock: clock)
        let result = Deferred<Int>.retrying(clock: clock) { flaky.call() }
        clock.advance(by: .seconds(10))
        #expect(flaky.calls.count == 10)
        let error = result.result?.failureValue as? RetriesExhaustedError
        #expect(error?.firstError as? Flake == Flake(number: 1))
        #expect(error?.attemptCount == 10)
        #expect(error?.recentErrors.compactMap { ($0 as? Flake)?.number } == Array(1...10))
    }

    @Test func nonTransientErrorStopsRetryingWithThatError() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 100, clock: clock)
        let seen = TimeLog<Int>()
        let result = Deferred<Int>.retrying(
            shouldRetry: { error, attempt in seen.append(attempt); return (error as? Flake)?.number != 2 },
            clock: clock
        ) { flaky.call() }
        clock.advance(by: .seconds(10))
        #expect(seen.all == [1, 2])
        #expect(result.result?.failureValue as? Flake == Flake(number: 2))
    }

    @Test func cancelStopsRetryingAndCancelsTheAttemptInFlight() throws {
        let clock = ManualClock()
        let attempts = TimeLog<Deferred<Int>>()
        let result = Deferred<Int>.retrying(clock: clock) {
            let attempt = Deferred<Int>()
            attempts.append(attempt)
            return attempt
        }
        result.cancel()
        #expect(attempts.count == 1)
        #expect(attempts.all[0].result?.failureValue is CancellationError)
        #expect(result.result?.failureValue is CancellationError)
        clock.advance(by: .seconds(10))
        #expect(attempts.count == 1)
    }

    @Test func cancelDuringABackoffDelayCancelsTheTimer() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 100, clock: clock)
        let result = Deferred<Int>.retrying(clock: clock) { flaky.call() }
        #expect(clock.scheduledCount == 1)
        result.cancel()
        #expect(clock.scheduledCount == 0)
        clock.advance(by: .seconds(10))
        #expect(flaky.calls.count == 1)
        #expect(result.result?.failureValue is CancellationError)
    }

    @Test func asyncOperationIsRetried() async throws {
        let clock = ManualClock()
        let calls = TimeLog<Int>()
        let result = Deferred<String>.retrying(backoff: [.zero, .zero, .zero], clock: clock) { () async throws -> String in
            calls.append(1)
            if calls.count < 3 { throw Flake(number: calls.count) }
            return "ok"
        }
        #expect(try await result.value == "ok")
        #expect(calls.count == 3)
    }

    @Test func emptyBackoffRejectsWithoutTrying() throws {
        let calls = TimeLog<Int>()
        let result = Deferred<Int>.retrying(backoff: [Duration](), clock: ManualClock()) {
            calls.append(1)
            return .resolved(1)
        }
        #expect(calls.count == 0)
        let error = result.result?.failureValue as? RetriesExhaustedError
        #expect(error?.attemptCount == 0)
        #expect(error?.firstError == nil)
        #expect(error?.recentErrors.isEmpty == true)
    }

    @Test func manyImmediateRetriesRunInALoopWithoutGrowingTheStack() throws {
        let tries = 20_000
        let calls = TimeLog<Int>()
        let result = Deferred<Int>.retrying(backoff: repeatElement(Duration.zero, count: tries), clock: ManualClock()) {
            calls.append(1)
            return .rejected(Flake(number: 0))
        }
        #expect(calls.count == tries)
        #expect((result.result?.failureValue as? RetriesExhaustedError)?.attemptCount == tries)
    }

    @Test func anEndlessBackoffKeepsOnlyTheFirstAndTheLastErrors() throws {
        let calls = TimeLog<Int>()
        let result = Deferred<Int>.retrying(backoff: repeatElement(Duration.zero, count: 5_000), clock: ManualClock()) {
            calls.append(1)
            return .rejected(Flake(number: calls.count))
        }
        let error = try #require(result.result?.failureValue as? RetriesExhaustedError)
        #expect(calls.count == 5_000)
        #expect(error.attemptCount == 5_000)
        #expect(error.recentErrors.compactMap { ($0 as? Flake)?.number } == Array(4_969...5_000))
        #expect(error.firstError as? Flake == Flake(number: 1))
    }

    @Test func cancellingPassesTheFinalResultOfTheTryInFlight() async throws {
        let clock = ManualClock()
        let result = Deferred<Int>.retrying(backoff: [.zero], clock: clock) { () async throws -> Int in
            do {
                try await clock.sleep(for: .seconds(100))
                return 1
            } catch {
                return -3   // the try finishes its clean-up and gives a value
            }
        }
        await clock.waitForSleepers(1)
        result.cancel()
        #expect(try await result.value == -3)
    }

    @Test func cancellingASharedTryRejectsWithCancellationAndLeavesItToTheOthers() throws {
        let shared = Deferred<Int>()
        let other = shared.map { $0 }
        let result = Deferred<Int>.retrying(backoff: [.zero], clock: ManualClock()) { shared }
        result.cancel()
        #expect(result.result?.failureValue is CancellationError)
        #expect(!shared.isComplete)
        shared.resolve(5)
        #expect(try other.result?.get() == 5)
    }

    @Test func retryingUntilADeadlineStartsNoTryAfterIt() throws {
        let clock = ManualClock()
        let flaky = Flaky(failures: 100, clock: clock)
        let deadline = clock.now.advanced(by: .milliseconds(2500))
        let result = Deferred<Int>.retrying(
            backoff: [.zero, .seconds(1), .seconds(1), .seconds(1), .seconds(1)], until: deadline, clock: clock
        ) { flaky.call() }
        clock.advance(by: .seconds(10))
        #expect(flaky.calls.all == [.zero, .seconds(1), .seconds(2)])
        #expect((result.result?.failureValue as? RetriesExhaustedError)?.attemptCount == 3)
    }

    @Test func withRetryUntilADeadlineReturnsTheValue() async throws {
        let clock = ManualClock()
        let calls = TimeLog<Int>()
        let value = try await withRetry(backoff: [.zero, .zero], until: clock.now, clock: clock) { () async throws -> Int in
            calls.append(1)
            if calls.count < 2 { throw Flake(number: 1) }
            return 8
        }
        #expect(value == 8)
    }
}

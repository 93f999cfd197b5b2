import Testing
@testable import DeferredKit

@Suite("Awaiting")
struct AwaitTests {
    @Test func awaitingACompletedDeferredDoesNotSuspend() {
        // A tasklet body that never really suspends completes its Deferred before the initialiser returns.
        let done = Deferred.resolved(5)
        let failed = Deferred<Int>.rejected(TestError(2))
        let t = Deferred { () async throws -> Int in
            let a = try await done.value
            let b = await failed.settled
            return a + ((b.failureError as? TestError)?.id ?? 0)
        }
        #expect(t.result?.successValue == 7)
    }

    @Test func awaitingAPendingDeferredReturnsItsValue() async throws {
        let d = Deferred<Int>()
        Task.detached { d.resolve(11) }
        #expect(try await d.value == 11)
    }

    @Test func awaitingARejectedDeferredThrowsItsError() async {
        let d = Deferred<Int>()
        Task.detached { d.reject(TestError(4)) }
        await #expect(throws: TestError(4)) { try await d.value }
    }

    @MainActor
    @Test func awaitingResumesOnTheCallersIsolation() async throws {
        let d = Deferred<Int>()
        Task.detached { d.resolve(1) }
        _ = try await d.value
        MainActor.assertIsolated()
        let actor = Probe()
        #expect(try await actor.awaitAndCheck(Deferred.resolved(2)) == 2)
    }

    actor Probe {
        func awaitAndCheck(_ d: Deferred<Int>) async throws -> Int {
            let v = try await d.value
            self.assertIsolated()
            return v
        }
    }

    @Test func cancelledWaiterThrowsAtOnceAndOtherWaitersKeepWaiting() async throws {
        let d = Deferred<Int>()
        let keeper = d.map { $0 }
        let waiter = Task { try await d.value }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(!d.isComplete)
        d.resolve(1)
        #expect(keeper.result?.successValue == 1)
    }

    @Test func lastWaiterCancelledCancelsTheDeferredAndGetsTheCancellersValue() async throws {
        let d = Deferred<Int> { $0.resolve(42) }
        let waiter = Task { try await d.value }
        waiter.cancel()
        #expect(try await waiter.value == 42)
    }

    @Test func lastWaiterCancelledWithoutCancellerValueThrowsCancellationError() async {
        let runs = Counter()
        let d = Deferred<Int> { _ in runs.increment() }
        let waiter = Task { try await d.value }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(runs.count == 1)
        #expect(isCancellation(d.result))
    }

    @Test func alreadyCancelledTaskStillReceivesACompletedResult() async throws {
        let d = Deferred.resolved(3)
        let t = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await d.value
        }
        #expect(try await t.value == 3)
    }

    @Test func alreadyCancelledTaskAwaitingAPendingDeferredThrowsAtOnce() async {
        let d = Deferred<Int>()
        let keeper = d.map { $0 }
        let t = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await d.value
        }
        await #expect(throws: CancellationError.self) { try await t.value }
        #expect(!keeper.isComplete)
    }

    @Test func everyContinuationResumesExactlyOnceUnderRacingCancelAndCompletion() async {
        let rounds = 2_000
        let outcomes = Counter()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<rounds {
                let d = Deferred<Int>()
                let waiter = Task { _ = await d.settled; outcomes.increment() }
                group.addTask { waiter.cancel() }
                group.addTask { d.resolve(i) }
                group.addTask { await waiter.value }
            }
        }
        #expect(outcomes.count == rounds)
    }
}

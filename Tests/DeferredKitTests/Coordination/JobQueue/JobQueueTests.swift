import Testing
@testable import DeferredKit

/// A handler whose jobs finish when the test says so.
final class ManualWork: Sendable {
    let started = TimeLog<(String, Deferred<Int>)>()

    func handle(_ argument: String) -> Deferred<Int> {
        let work = Deferred<Int>()
        started.append((argument, work))
        return work
    }

    var arguments: [String] { started.all.map(\.0) }

    func finish(_ argument: String, with value: Int = 0) {
        started.all.first { $0.0 == argument }!.1.resolve(value)
    }

    func work(_ argument: String) -> Deferred<Int> { started.all.first { $0.0 == argument }!.1 }
}

typealias TestQueue = DeferredJobQueue<String, Int>

@Suite struct JobQueueTests {
    @Test func runsAtMostWidthJobsAtOnce() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 2, handler: work.handle)
        for name in ["a", "b", "c", "d"] { queue.put(name) }
        #expect(work.arguments == ["a", "b"])
        #expect(queue.underway().map(\.argument) == ["a", "b"])
        #expect(queue.pending().map(\.argument) == ["c", "d"])
        work.finish("a")
        #expect(work.arguments == ["a", "b", "c"])
    }

    @Test func lowerPriorityNumbersRunFirst() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 0, handler: work.handle)
        queue.put("low", priority: 10)
        queue.put("high", priority: -5)
        queue.put("middle", priority: 0)
        #expect(queue.pending().map(\.argument) == ["high", "middle", "low"])
        queue.width = 1
        work.finish("high")
        work.finish("middle")
        #expect(work.arguments == ["high", "middle", "low"])
    }

    @Test func equalPrioritiesRunInPutOrder() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 0, handler: work.handle)
        for name in ["1", "2", "3", "4"] { queue.put(name, priority: 3) }
        queue.width = 4
        #expect(work.arguments == ["1", "2", "3", "4"])
    }

    @Test func raisingTheWidthStartsMoreJobsAtOnce() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        for name in ["a", "b", "c", "d"] { queue.put(name) }
        queue.width = 3
        #expect(work.arguments == ["a", "b", "c"])
    }

    @Test func loweringTheWidthLetsRunningJobsFinishAndStartsNoneUntilBelowIt() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 3, handler: work.handle)
        for name in ["a", "b", "c", "d", "e"] { queue.put(name) }
        queue.width = 1
        #expect(queue.underway().count == 3)
        work.finish("a")
        work.finish("b")
        #expect(work.arguments == ["a", "b", "c"])   // still 1 underway: not below the width
        work.finish("c")
        #expect(work.arguments == ["a", "b", "c", "d"])
    }

    @Test func jobDeferredResolvesWithTheJobItsTimesAndResult() throws {
        let clock = ManualClock()
        let work = ManualWork()
        let queue = TestQueue(width: 1, clock: clock, handler: work.handle)
        queue.put("first")
        clock.advance(by: .seconds(1))
        let second = queue.put("second", priority: 4)
        clock.advance(by: .seconds(2))
        work.finish("first")
        clock.advance(by: .seconds(4))
        work.finish("second", with: 42)
        let job = try #require(try second.result?.get())
        #expect(job.argument == "second")
        #expect(job.priority == 4)
        #expect(job.queuedAt == .seconds(1))
        #expect(job.launchedAt == .seconds(3))
        #expect(job.stoppedAt == .seconds(7))
        #expect(job.output == 42)
    }

    @Test func failingJobRejectsWithJobQueueErrorCarryingTheJob() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        let job = queue.put("x")
        work.work("x").reject(Flake(number: 3))
        let error = try #require(job.result?.failureValue as? DeferredJobQueueError)
        #expect(error.underlyingError as? Flake == Flake(number: 3))
        let failed = try #require(error.job(as: TestQueue.Job.self))
        #expect(failed.argument == "x")
        #expect(failed.result?.failureValue as? Flake == Flake(number: 3))
        #expect(error.jobID == failed.id)
        #expect(error.job(as: DeferredJobQueue<Int, Int>.Job.self) == nil)
    }

    @Test func cancellingAPendingJobRemovesItAndRejectsWithCancellation() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        queue.put("a")
        let b = queue.put("b")
        let pendingB = try #require(queue.pending().first)
        #expect(queue.cancel(pendingB))
        let error = try #require(b.result?.failureValue as? DeferredJobQueueError)
        #expect(error.underlyingError is CancellationError)
        #expect(error.job(as: TestQueue.Job.self)?.argument == "b")
        work.finish("a")
        #expect(work.arguments == ["a"])
        #expect(!queue.cancel(pendingB))   // already ended
    }

    @Test func cancellingAnUnderwayJobCancelsTheHandlersDeferred() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        let a = queue.put("a")
        queue.put("b")
        #expect(queue.cancel(try #require(queue.underway().first)))
        #expect(work.work("a").result?.failureValue is CancellationError)
        #expect((a.result?.failureValue as? DeferredJobQueueError)?.underlyingError is CancellationError)
        #expect(work.arguments == ["a", "b"])   // the slot is free again
    }

    @Test func cancellingTheJobsDeferredCancelsTheJob() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        let a = queue.put("a")
        let b = queue.put("b")
        b.cancel()
        a.cancel()
        #expect(work.work("a").result?.failureValue is CancellationError)
        #expect((b.result?.failureValue as? DeferredJobQueueError)?.underlyingError is CancellationError)
        #expect((a.result?.failureValue as? DeferredJobQueueError)?.job(as: TestQueue.Job.self)?.argument == "a")
        #expect(work.arguments == ["a"])
    }

    @Test func underwayJobWhoseWorkOthersWantEndsAtOnceWhenCancelled() throws {
        let shared = Deferred<Int>()
        let other = shared.map { $0 }
        let queue = TestQueue(width: 1) { _ in shared }
        let a = queue.put("a")
        queue.cancel(try #require(queue.underway().first))
        #expect((a.result?.failureValue as? DeferredJobQueueError)?.underlyingError is CancellationError)
        #expect(!shared.isComplete)
        shared.resolve(1)
        #expect(try other.result?.get() == 1)
    }

    @Test func cancelledAsyncJobKeepsItsSlotUntilItsTaskHasEnded() async throws {
        let gate = TestGate()
        let running = TimeLocked((now: 0, most: 0))
        let queue = DeferredJobQueue<Int, Int>(width: 1) { n in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            await gate.wait()   // ignores the cancellation, like a body finishing its clean-up
            running.withLock { $0.now -= 1 }
            return n
        }
        let first = queue.put(1)
        let second = queue.put(2)
        await gate.waitForArrivals(1)
        #expect(queue.cancel(try #require(queue.underway().first)))
        #expect(queue.underway().map(\.argument) == [1])   // its task is still running
        #expect(queue.pending().map(\.argument) == [2])
        gate.open()
        _ = await first.settled
        #expect(try await second.value.output == 2)
        #expect(running.withLock { $0.most } == 1)
    }

    @Test func underwayJobWhoseWorkOthersWantKeepsItsSlotUntilTheWorkEnds() throws {
        let shared = Deferred<Int>()
        let other = shared.map { $0 }
        let work = ManualWork()
        let queue = TestQueue(width: 1) { name in name == "a" ? shared : work.handle(name) }
        let a = queue.put("a")
        queue.put("b")
        queue.cancel(try #require(queue.underway().first))
        #expect((a.result?.failureValue as? DeferredJobQueueError)?.underlyingError is CancellationError)
        #expect(queue.underway().map(\.argument) == ["a"])
        #expect(work.arguments.isEmpty)
        shared.resolve(1)
        #expect(work.arguments == ["b"])
        #expect(try other.result?.get() == 1)
    }

    @Test func reprioritizingOrCancellingPendingJobsLeavesNoStaleHeapEntries() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 0, handler: work.handle)
        queue.put("a")
        let b = queue.put("b")
        let job = try #require(queue.pending().first)
        for round in 0..<1_000 { queue.reprioritize(job, to: round % 7) }
        #expect(queue.heapCount == 2)
        b.cancel()
        #expect(queue.heapCount == 1)
        queue.width = 1
        #expect(work.arguments == ["a"])
        #expect(queue.heapCount == 0)
    }

    @Test func reprioritizeMovesAPendingJob() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 0, handler: work.handle)
        queue.put("a", priority: 1)
        queue.put("b", priority: 2)
        let b = try #require(queue.pending().last)
        #expect(queue.reprioritize(b, to: -1))
        #expect(queue.pending().map(\.argument) == ["b", "a"])
        #expect(queue.pending().first?.priority == -1)
        queue.width = 1
        #expect(work.arguments == ["b"])
        #expect(!queue.reprioritize(b, to: 0))   // underway now
    }

    @Test func pauseStopsLaunchingAndResumeRestartsWithANewWidth() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        queue.put("a")
        queue.pause()
        for name in ["b", "c", "d"] { queue.put(name) }
        work.finish("a")
        #expect(work.arguments == ["a"])
        #expect(queue.isPaused)
        queue.resume(width: 2)
        #expect(work.arguments == ["a", "b", "c"])
        #expect(queue.width == 2)
    }

    @Test func stopWaitsForUnderwayJobsAndReturnsThePendingOnes() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        let a = queue.put("a")
        let b = queue.put("b", priority: 5)
        let c = queue.put("c", priority: 1)
        let stopped = queue.stop()
        #expect(!stopped.isComplete)
        #expect((b.result?.failureValue as? DeferredJobQueueError)?.underlyingError is DeferredJobQueueStoppedError)
        #expect((c.result?.failureValue as? DeferredJobQueueError)?.underlyingError is DeferredJobQueueStoppedError)
        work.finish("a", with: 1)
        #expect(try a.result?.get().output == 1)
        let saved = try #require(try stopped.result?.get())
        #expect(saved.map(\.argument) == ["c", "b"])
        #expect(work.arguments == ["a"])
        #expect(queue.stop() === stopped)
    }

    @Test func putAfterStopRejectsAtOnce() throws {
        let queue = TestQueue(width: 1) { _ in .resolved(0) }
        _ = queue.stop()
        let late = queue.put("late")
        #expect((late.result?.failureValue as? DeferredJobQueueError)?.underlyingError is DeferredJobQueueStoppedError)
    }

    @Test func savedJobsCanBeRequeuedOnANewQueue() throws {
        let work = ManualWork()
        let first = TestQueue(width: 0, handler: work.handle)
        first.put("x", priority: 2)
        first.put("y", priority: 1)
        let saved = try #require(try first.stop().result?.get())
        let second = TestQueue(width: 2, handler: work.handle)
        let again = saved.map { second.put($0.argument, priority: $0.priority) }
        #expect(work.arguments == ["y", "x"])
        work.finish("x"); work.finish("y")
        #expect(again.allSatisfy { $0.isComplete })
    }

    @Test func asyncHandlerRunsJobs() async throws {
        let queue = DeferredJobQueue<Int, Int>(width: 2) { (n: Int) async throws -> Int in n * n }
        let jobs = (1...5).map { queue.put($0) }
        var squares: [Int] = []
        for job in jobs { squares.append(try await job.value.output ?? -1) }
        #expect(squares == [1, 4, 9, 16, 25])
    }

    @Test func synchronousHandlersRunManyJobsWithoutRecursion() throws {
        let count = 20_000
        let done = TimeLog<Int>()
        let queue = DeferredJobQueue<Int, Int>(width: 8) { n in .resolved(n) }
        queue.pause()
        for n in 0..<count {
            queue.put(n, priority: count - n).whenComplete { result in
                if case .success(let job) = result { done.append(job.argument) }
            }
        }
        queue.resume()
        #expect(done.count == count)
        #expect(done.all.first == count - 1)   // highest number has the lowest priority number
        #expect(queue.pending().isEmpty && queue.underway().isEmpty)
    }

    @Test func droppedFailedJobsAreReportedButCancelledOnesAreNot() throws {
        DiagnosticsSpy.install()
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        do {
            queue.put("dropped-failure")
            work.work("dropped-failure").reject(Flake(number: 5))
        }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: #line - 3).count == 1)
        do { queue.put("dropped-cancel").cancel() }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: #line - 1).isEmpty)
        queue.pause()
        do { queue.put("dropped-pending").cancel() }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: #line - 1).isEmpty)
    }

    @Test func usersCannotCompleteAJobsDeferredOrTheStopResult() throws {
        let work = ManualWork()
        let queue = TestQueue(width: 1, handler: work.handle)
        let job = queue.put("a")
        #expect(!job.reject(Flake(number: 1)))
        #expect(!job.isComplete)
        let stopped = queue.stop()
        #expect(!stopped.resolve([]))
        work.finish("a", with: 9)
        #expect(try job.result?.get().output == 9)
        #expect(try stopped.result?.get().isEmpty == true)
    }

    @Test func cancellingAnAsyncJobGivesItsTasksFinalResult() async throws {
        let gate = TestGate()
        let queue = DeferredJobQueue<Int, Int>(width: 1) { n in
            await gate.wait()
            return Task.isCancelled ? -n : n
        }
        let job = queue.put(5)
        await gate.waitForArrivals(1)
        job.cancel()
        #expect(!job.isComplete)   // its task is still ending
        gate.open()
        #expect(try await job.value.output == -5)
    }
}

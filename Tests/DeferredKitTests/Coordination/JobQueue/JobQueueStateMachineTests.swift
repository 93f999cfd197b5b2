import Testing
@testable import DeferredKit

/// The pure transitions of `JobQueueStateMachine`, without a queue, a handler or a clock. (Mutating
/// transitions are called outside `#expect`, which cannot take them.)
@Suite struct JobQueueStateMachineTests {
    typealias Machine = JobQueueStateMachine<String, Int>
    typealias Job = DeferredJobQueue<String, Int>.Job

    private func put(_ machine: inout Machine, _ id: Int, _ argument: String, priority: Int = 0) -> Deferred<Job> {
        let deferred = Deferred<Job>()
        let action = machine.put(Job(id: id, argument: argument, priority: priority, queuedAt: .zero), deferred: deferred)
        if case .rejectStopped = action { Issue.record("not queued") }
        return deferred
    }

    @Test func launchesInPriorityOrderUpToTheWidthAndFreesASlotOnFinish() throws {
        var machine = Machine(width: 2)
        _ = put(&machine, 1, "low", priority: 5)
        _ = put(&machine, 2, "high", priority: 1)
        _ = put(&machine, 3, "mid", priority: 3)
        let started = machine.startLaunching()
        let startedTwice = machine.startLaunching()
        #expect(started && !startedTwice)   // one loop at a time
        let first = machine.nextLaunch(at: .seconds(1))
        let second = machine.nextLaunch(at: .seconds(1))
        let third = machine.nextLaunch(at: .seconds(1))   // full: the loop is released
        #expect(first?.argument == "high" && second?.argument == "mid" && third == nil)
        #expect(machine.underwayJobs().map(\.argument) == ["high", "mid"])
        let finish = machine.finish(2, with: .success(7), at: .seconds(2))
        #expect(finish?.job.output == 7 && finish?.job.stoppedAt == .seconds(2) && finish?.stopDone == nil)
        let again = machine.finish(2, with: .success(7), at: .seconds(2))
        #expect(again == nil)   // a job ends once
        let restarted = machine.startLaunching()
        let next = machine.nextLaunch(at: .seconds(3))
        #expect(restarted && next?.argument == "low")
    }

    @Test func cancellingAPendingJobTakesItOutAndAnUnderwayOneAsksForAWithdrawal() throws {
        var machine = Machine(width: 1)
        let first = put(&machine, 1, "a")
        _ = put(&machine, 2, "b")
        #expect(machine.jobID(of: first.dependentID) == 1)
        guard case .rejectPending(_, let job) = machine.cancel(2, at: .seconds(1)) else {
            Issue.record("not taken out")
            return
        }
        #expect(job.result?.failureValue is CancellationError && machine.heapCount == 1)
        _ = machine.startLaunching()
        let next = machine.nextLaunch(at: .zero)
        let launch = try #require(next)
        #expect(machine.heapCount == 0)
        guard case .withdrawOnAttach = machine.cancel(launch.id, at: .zero) else {
            Issue.record("no withdrawal on attach")
            return
        }
        let withdrawNow = machine.attach(Deferred<Int>(), toJob: launch.id)
        #expect(withdrawNow)   // the queue must withdraw now
        guard case .none = machine.cancel(launch.id, at: .zero) else {
            Issue.record("cancelled twice")
            return
        }
        let early = machine.endEarly(launch.id, at: .seconds(2))
        #expect(early?.1.result?.failureValue is CancellationError)
        #expect(machine.underwayJobs().count == 1)   // the slot stays taken until the work ends
    }

    @Test func stopTakesThePendingJobsInRunOrderAndFinishesWithTheLastUnderwayJob() throws {
        var machine = Machine(width: 1)
        _ = put(&machine, 1, "running")
        _ = put(&machine, 2, "later", priority: 9)
        _ = put(&machine, 3, "sooner", priority: 1)
        _ = machine.startLaunching()
        _ = machine.nextLaunch(at: .zero)   // "running": put first, at priority 0
        guard case .stopped(let done, let taken, let finishNow) = machine.stop(at: .seconds(1), makeDone: { Deferred() })
        else {
            Issue.record("not stopped")
            return
        }
        #expect(taken.map(\.1.argument) == ["sooner", "later"] && !finishNow)
        guard case .alreadyStopped(let again) = machine.stop(at: .seconds(2), makeDone: { Deferred() }), again === done
        else {
            Issue.record("stop is not idempotent")
            return
        }
        let late = machine.put(Job(id: 4, argument: "late", priority: 0, queuedAt: .zero), deferred: Deferred())
        guard case .rejectStopped = late else {
            Issue.record("put after stop queued")
            return
        }
        let finish = machine.finish(1, with: .success(1), at: .seconds(3))
        #expect(finish?.stopDone?.0 === done && finish?.stopDone?.1.map(\.argument) == ["sooner", "later"])
    }
}

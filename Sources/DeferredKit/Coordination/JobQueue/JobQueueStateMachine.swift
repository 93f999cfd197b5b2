// MARK: - JobQueueStateMachine

/// The state of a `DeferredJobQueue`, as a pure state machine: each transition changes the state and returns
/// what the queue must then do outside its lock (call a handler, complete a Deferred, withdraw from
/// work). It never calls user code and never reads the clock; the queue passes the time in.
///
/// A job is *pending* (in `heap` and `pending`) until it launches, then *underway* (in `underway`) until
/// its work ends; only the end of its work frees its slot. A job's Deferred may complete earlier, when
/// a cancellation withdraws the job from work that goes on for someone else.
@usableFromInline
struct JobQueueStateMachine<Argument: Sendable, Output: Sendable>: Sendable {
    @usableFromInline
    typealias Job = DeferredJobQueue<Argument, Output>.Job

    // MARK: State

    /// A job the queue holds, pending or underway.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var job: Job
        /// The job's Deferred, which the queue completes.
        @usableFromInline let deferred: Deferred<Job>
        @usableFromInline var launchOrder: UInt64 = 0
        /// The handler's Deferred, once the handler has returned.
        @usableFromInline var work: Deferred<Output>?
        /// `cancel` came while the handler was being called: `attach` asks the queue to withdraw.
        @usableFromInline var cancelRequested = false

        @inlinable
        init(job: Job, deferred: Deferred<Job>) {
            self.job = job
            self.deferred = deferred
        }
    }

    @usableFromInline var width: Int
    @usableFromInline var isPaused = false
    /// The Deferred `stop()` returned, once it has been called.
    @usableFromInline var stopped: Deferred<[Job]>?
    @usableFromInline var savedOnStop: [Job] = []
    @usableFromInline var pending: [Int: Entry] = [:]
    @usableFromInline var heap = JobHeap()
    @usableFromInline var underway: [Int: Entry] = [:]
    /// The job id of each job Deferred (by its `dependentID`) while the job is pending or underway.
    @usableFromInline var idsByDeferred: [UInt: Int] = [:]
    @usableFromInline var nextSequence: UInt64 = 0
    @usableFromInline var launchCount: UInt64 = 0
    /// A launch loop is running (on some thread); it will see every slot that frees up.
    @usableFromInline var launching = false

    @inlinable
    init(width: Int) {
        self.width = width
    }

    // MARK: Reading

    /// The pending jobs, in the order they will start.
    @inlinable
    func pendingJobs() -> [Job] { heap.orderedIDs().map { pending[$0]!.job } }

    /// The underway jobs, in the order they started.
    @inlinable
    func underwayJobs() -> [Job] { underway.values.sorted { $0.launchOrder < $1.launchOrder }.map(\.job) }

    /// The number of heap entries (one per pending job).
    var heapCount: Int { heap.count }

    // MARK: Putting

    @usableFromInline
    enum PutAction {
        /// Queued: run the launch loop.
        case queued
        /// The queue is stopped: reject the job's Deferred with `DeferredJobQueueStoppedError`.
        case rejectStopped(Job)
    }

    /// Queues `job`, whose Deferred is `deferred`.
    @inlinable
    mutating func put(_ job: Job, deferred: Deferred<Job>) -> PutAction {
        guard stopped == nil else {
            var ended = job
            ended._stoppedAt = job.queuedAt
            ended._result = .failure(DeferredJobQueueStoppedError())
            return .rejectStopped(ended)
        }
        nextSequence += 1
        pending[job.id] = Entry(job: job, deferred: deferred)
        idsByDeferred[deferred.dependentID] = job.id
        heap.push(JobHeap.Entry(priority: job.priority, sequence: nextSequence, id: job.id))
        return .queued
    }

    // MARK: Width and pausing

    /// Sets the width; the caller then runs the launch loop.
    @inlinable
    mutating func setWidth(_ newWidth: Int) { width = newWidth }

    /// Launches nothing until `resume`.
    @inlinable
    mutating func pause() { isPaused = true }

    /// Launches again, with `newWidth` if given; the caller then runs the launch loop.
    @inlinable
    mutating func resume(width newWidth: Int?) {
        isPaused = false
        if let newWidth { width = newWidth }
    }

    // MARK: Launching

    /// One job to launch: call the handler on `argument` and observe its work as `dependent`.
    @usableFromInline
    struct Launch {
        @usableFromInline let id: Int
        @usableFromInline let argument: Argument
        @usableFromInline let dependent: UInt

        @inlinable
        init(id: Int, argument: Argument, dependent: UInt) {
            self.id = id
            self.argument = argument
            self.dependent = dependent
        }
    }

    /// Claims the launch loop; `false` if one is already running (it will launch what there is room for).
    @inlinable
    mutating func startLaunching() -> Bool {
        if launching { return false }
        launching = true
        return true
    }

    /// The next job to launch at `now`, moved to underway; `nil` (and the loop released) when there is
    /// no room or nothing pending.
    @inlinable
    mutating func nextLaunch(at now: Duration) -> Launch? {
        guard !isPaused, stopped == nil, underway.count < width, let next = heap.popFirst() else {
            launching = false
            return nil
        }
        var entry = pending.removeValue(forKey: next.id)!
        entry.job._launchedAt = now
        launchCount += 1
        entry.launchOrder = launchCount
        underway[next.id] = entry
        return Launch(id: next.id, argument: entry.job.argument, dependent: entry.deferred.dependentID)
    }

    /// Records the work the handler returned for job `id`. Returns `true` when a cancellation came while
    /// the handler ran: the queue must withdraw from the work now.
    @inlinable
    mutating func attach(_ work: Deferred<Output>, toJob id: Int) -> Bool {
        // Work that completed at once has already ended the job.
        guard underway[id] != nil else { return false }
        underway[id]!.work = work
        return underway[id]!.cancelRequested
    }

    // MARK: Cancelling

    /// The id of the job whose Deferred is `dependent`, if it is pending or underway.
    @inlinable
    func jobID(of dependent: UInt) -> Int? { idsByDeferred[dependent] }

    @usableFromInline
    enum CancelAction {
        /// The job has ended already (or never existed).
        case none
        /// A pending job was taken out: reject its Deferred with `CancellationError`.
        case rejectPending(Deferred<Job>, Job)
        /// An underway job: withdraw `dependent` from its work.
        case withdraw(dependent: UInt, from: Deferred<Output>)
        /// Its handler is being called: `attach` will ask for the withdrawal.
        case withdrawOnAttach
    }

    /// Cancels job `id` at `now`.
    @inlinable
    mutating func cancel(_ id: Int, at now: Duration) -> CancelAction {
        if var entry = pending.removeValue(forKey: id) {
            heap.remove(id)
            idsByDeferred[entry.deferred.dependentID] = nil
            entry.job._stoppedAt = now
            entry.job._result = .failure(CancellationError())
            return .rejectPending(entry.deferred, entry.job)
        }
        guard underway[id] != nil, !underway[id]!.cancelRequested else { return .none }
        underway[id]!.cancelRequested = true
        guard let work = underway[id]!.work else { return .withdrawOnAttach }
        return .withdraw(dependent: underway[id]!.deferred.dependentID, from: work)
    }

    /// The job's observer was removed from its work without running (the work goes on for someone
    /// else, or its task is still ending): its Deferred is rejected with `CancellationError` now, while
    /// its slot stays taken until the work ends.
    @inlinable
    func endEarly(_ id: Int, at now: Duration) -> (Deferred<Job>, Job)? {
        guard let entry = underway[id] else { return nil }
        var ended = entry.job
        ended._stoppedAt = now
        ended._result = .failure(CancellationError())
        return (entry.deferred, ended)
    }

    // MARK: Reprioritizing

    /// Gives pending job `id` a new priority; `false` if it is not pending.
    @inlinable
    mutating func reprioritize(_ id: Int, to priority: Int) -> Bool {
        guard pending[id] != nil, heap.update(id, priority: priority) else { return false }
        pending[id]!.job._priority = priority
        return true
    }

    // MARK: Finishing

    /// What the queue does when a job's work has ended.
    @usableFromInline
    struct Finish {
        /// Complete `deferred` with `job` (unless a cancellation rejected it already).
        @usableFromInline let deferred: Deferred<Job>
        @usableFromInline let job: Job
        /// The queue is stopped and this was the last underway job: resolve `stop()`'s Deferred.
        @usableFromInline let stopDone: (Deferred<[Job]>, [Job])?
        /// Handed out to be released after unlocking.
        @usableFromInline let work: Deferred<Output>?

        @inlinable
        init(deferred: Deferred<Job>, job: Job, stopDone: (Deferred<[Job]>, [Job])?, work: Deferred<Output>?) {
            self.deferred = deferred
            self.job = job
            self.stopDone = stopDone
            self.work = work
        }
    }

    /// Job `id`'s work ended at `now` with `result`: the slot frees. `nil` if it had ended already.
    @inlinable
    mutating func finish(_ id: Int, with result: Result<Output, any Error>, at now: Duration) -> Finish? {
        guard var entry = underway.removeValue(forKey: id) else { return nil }
        idsByDeferred[entry.deferred.dependentID] = nil
        entry.job._stoppedAt = now
        entry.job._result = result
        var stopDone: (Deferred<[Job]>, [Job])?
        if let stopped, underway.isEmpty { stopDone = (stopped, savedOnStop) }
        return Finish(deferred: entry.deferred, job: entry.job, stopDone: stopDone, work: entry.work)
    }

    // MARK: Stopping

    @usableFromInline
    enum StopAction {
        /// `stop()` had been called: return its Deferred.
        case alreadyStopped(Deferred<[Job]>)
        /// Stopped now: reject every taken job with `DeferredJobQueueStoppedError`; resolve `done` with their
        /// jobs now if `finishNow` (nothing underway), otherwise when the last underway job ends.
        case stopped(done: Deferred<[Job]>, taken: [(Deferred<Job>, Job)], finishNow: Bool)
    }

    /// Stops the queue at `now`: takes out every pending job. `makeDone` creates `stop()`'s Deferred.
    @inlinable
    mutating func stop(at now: Duration, makeDone: () -> Deferred<[Job]>) -> StopAction {
        if let stopped { return .alreadyStopped(stopped) }
        let done = makeDone()
        stopped = done
        var taken: [(Deferred<Job>, Job)] = []
        for next in heap.removeAll() {
            var entry = pending.removeValue(forKey: next.id)!
            idsByDeferred[entry.deferred.dependentID] = nil
            entry.job._stoppedAt = now
            taken.append((entry.deferred, entry.job))
        }
        savedOnStop = taken.map(\.1)
        return .stopped(done: done, taken: taken, finishNow: underway.isEmpty)
    }
}

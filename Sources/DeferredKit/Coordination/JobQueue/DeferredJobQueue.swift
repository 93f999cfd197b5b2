import Synchronization

// MARK: - DeferredJobQueue

/// A queue that runs a handler on the arguments you `put`, at most `width` at a time, in priority order
/// — txrdq's ResizableDispatchQueue.
///
/// Use it to send work to a service at a controlled rate: raise `width` and more jobs start at once;
/// lower it and the running jobs finish while no new ones start until fewer than `width` are underway.
/// **Lower priority numbers run first**; jobs of equal priority run in the order they were put.
///
/// Each `put` returns a `Deferred<Job>` that resolves with the finished `Job` (argument, priority,
/// queued/launched/stopped times and the handler's result). When the handler fails, or the job is
/// cancelled, it rejects with `DeferredJobQueueError`, which carries the `Job` too. Cancelling that Deferred
/// cancels the job. A job holds its slot until its work has really ended, even when a cancellation
/// completed its Deferred earlier. `stop()` waits for the underway jobs and hands back the ones not yet
/// started, so that they can be saved and put into a new queue later.
///
/// The clock is only a stopwatch: times are the time elapsed since the queue was created. The handler
/// runs on the thread that puts the job or that completes the previous one, never under a lock.
///
/// ```swift
/// let sms = DeferredJobQueue(width: 5) { (message: SMS) in gateway.send(message) }
/// sms.put(SMS(to: "2127399921", text: "Hello"), priority: 5)
/// sms.width = 10                       // widen the pipeline
/// let unsent = try await sms.stop().value   // save these and re-queue them on restart
/// ```
public final class DeferredJobQueue<Argument: Sendable, Output: Sendable>: Sendable {
    // MARK: Job

    /// One job of a queue: what was asked, and what happened to it.
    ///
    /// ```swift
    /// for job in queue.pending() where job.priority > 5 { queue.reprioritize(job, to: 0) }
    /// ```
    public struct Job: Sendable, Identifiable, CustomStringConvertible {
        /// Identifies the job within its queue.
        public let id: Int
        /// The argument given to `put`.
        public let argument: Argument
        /// The priority: lower numbers run first.
        public var priority: Int { _priority }
        /// When the job was put, on the queue's clock (time since the queue was created).
        public let queuedAt: Duration
        /// When the handler was called, if it has been.
        public var launchedAt: Duration? { _launchedAt }
        /// When the job ended (finished, failed, was cancelled or was handed back by `stop()`).
        public var stoppedAt: Duration? { _stoppedAt }
        /// The handler's result — or `CancellationError` for a cancelled job — once the job has ended.
        public var result: Result<Output, any Error>? { _result }

        // Stored for the queue to set (inlinable, so that a client's queue runs specialised code).
        @usableFromInline var _priority: Int
        @usableFromInline var _launchedAt: Duration?
        @usableFromInline var _stoppedAt: Duration?
        @usableFromInline var _result: Result<Output, any Error>?

        @usableFromInline
        init(id: Int, argument: Argument, priority: Int, queuedAt: Duration) {
            self.id = id
            self.argument = argument
            self._priority = priority
            self.queuedAt = queuedAt
        }

        /// The handler's value, if the job succeeded.
        public var output: Output? { try? result?.get() }

        /// A one-line description for logs and debugging.
        public var description: String {
            "Job #\(id)(\(argument), priority \(priority), queued at \(queuedAt)"
                + (launchedAt.map { ", launched at \($0)" } ?? "") + (stoppedAt.map { ", stopped at \($0)" } ?? "") + ")"
        }
    }

    // MARK: State

    @usableFromInline typealias Machine = JobQueueStateMachine<Argument, Output>

    @usableFromInline let handler: @Sendable (Argument) -> Deferred<Output>
    @usableFromInline let stopwatch: Stopwatch
    @usableFromInline let nextID = Atomic<Int>(0)
    @usableFromInline let state: LockedState<Machine>
    /// The cancel action of every job's Deferred: one closure for the queue, not one per job.
    @usableFromInline let jobCanceller: CancelAction
    @usableFromInline let cancelTarget: JobCancelTarget<Argument, Output>

    // MARK: Creating

    /// A queue that runs `handler` on each argument, at most `width` at a time. `clock` only times the
    /// jobs (`queuedAt`, `launchedAt`, `stoppedAt`). A negative `width` is a programmer error and traps.
    ///
    /// ```swift
    /// let fetches = DeferredJobQueue(width: 4) { (url: URL) in fetch(url) }
    /// ```
    public init(
        width: Int, clock: some Clock<Duration> = ContinuousClock(),
        handler: @escaping @Sendable (Argument) -> Deferred<Output>
    ) {
        precondition(width >= 0, "DeferredJobQueue needs a width of at least 0, got \(width)")
        self.handler = handler
        stopwatch = Stopwatch(clock: clock)
        state = LockedState(Machine(width: width))
        let target = JobCancelTarget<Argument, Output>()
        cancelTarget = target
        jobCanceller = .canceller { job in target.cancel(unsafeDowncast(job, to: Deferred<Job>.self)) }
        target.queue.withLock { $0.queue = self }
    }

    /// A queue that runs the async `handler` on each argument, at most `width` at a time. Cancelling an
    /// underway job cancels its task; the job keeps its slot until the task has ended.
    ///
    /// ```swift
    /// let uploads = DeferredJobQueue(width: 2) { (file: URL) in try await upload(file) }
    /// ```
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
    public convenience init(
        width: Int, clock: some Clock<Duration> = ContinuousClock(),
        handler: @escaping @Sendable (Argument) async throws -> Output
    ) {
        self.init(width: width, clock: clock, handler: { argument in Deferred { try await handler(argument) } })
    }

    // MARK: Putting

    /// Queues `argument`; the returned Deferred resolves with the finished `Job`, or rejects with
    /// `DeferredJobQueueError` when the handler fails or the job is cancelled. Lower priority numbers run first.
    ///
    /// Cancelling the returned Deferred cancels the job. On a stopped queue the Deferred is rejected at
    /// once (`DeferredJobQueueStoppedError`).
    ///
    /// ```swift
    /// let sent = queue.put(message, priority: 1)
    /// ```
    @inlinable
    @discardableResult
    public func put(
        _ argument: Argument, priority: Int = 0, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Job> {
        let now = stopwatch.elapsed
        let id = nextID.add(1, ordering: .relaxed).newValue
        // Owned; after a cancellation the queue completes it (from the work's final result, or at once).
        let deferred = Deferred<Job>(owned: DeferredCallSite(file, line), completesAfterCancel: true, cancelAction: jobCanceller)
        let job = Job(id: id, argument: argument, priority: priority, queuedAt: now)
        switch state.withLock({ $0.put(job, deferred: deferred) }) {
        case .queued:
            launchJobs()
        case .rejectStopped(let ended):
            reject(deferred, ended, with: DeferredJobQueueStoppedError(), expected: true)
        }
        return deferred
    }

    // MARK: Width and pausing

    /// How many jobs may be underway at once. Raising it starts more jobs at once; lowering it lets the
    /// running jobs finish and starts no new ones until fewer than `width` are underway. A negative
    /// width traps.
    ///
    /// ```swift
    /// queue.width = 7   // we're dispatching too fast
    /// ```
    public var width: Int {
        get { state.withLock { $0.width } }
        set {
            precondition(newValue >= 0, "DeferredJobQueue needs a width of at least 0, got \(newValue)")
            state.withLock { $0.setWidth(newValue) }
            launchJobs()
        }
    }

    /// Starts no new jobs until `resume(width:)`; underway jobs go on.
    ///
    /// ```swift
    /// queue.pause()
    /// ```
    public func pause() {
        state.withLock { $0.pause() }
    }

    /// Starts jobs again, with a new `width` if you give one (a negative width traps).
    ///
    /// ```swift
    /// queue.resume(width: 8)
    /// ```
    public func resume(width: Int? = nil) {
        if let width { precondition(width >= 0, "DeferredJobQueue needs a width of at least 0, got \(width)") }
        state.withLock { $0.resume(width: width) }
        launchJobs()
    }

    /// Whether the queue is paused.
    public var isPaused: Bool { state.withLock { $0.isPaused } }

    // MARK: Inspecting

    /// The jobs waiting to start, in the order they will start.
    ///
    /// ```swift
    /// let backlog = queue.pending().count
    /// ```
    public func pending() -> [Job] {
        state.withLock { $0.pendingJobs() }
    }

    /// The jobs whose work is underway (they hold a slot), in the order they started.
    ///
    /// ```swift
    /// for job in queue.underway() { print(job.argument, job.launchedAt!) }
    /// ```
    public func underway() -> [Job] {
        state.withLock { $0.underwayJobs() }
    }

    // MARK: Changing jobs

    /// Cancels `job`: a pending job is removed and its Deferred rejected with `DeferredJobQueueError` carrying
    /// `CancellationError`. For an underway job the queue withdraws from the handler's Deferred (which
    /// is cancelled unless someone else wants it): the job ends with that Deferred's final result, or, if
    /// the work goes on for someone else, is rejected with `CancellationError` at once; either way its
    /// slot frees only when the work ends. Returns `false` if the job has already ended.
    ///
    /// ```swift
    /// if let stale = queue.pending().first { queue.cancel(stale) }
    /// ```
    @discardableResult
    public func cancel(_ job: Job) -> Bool {
        cancel(jobID: job.id)
    }

    /// Moves a pending job to `priority` (lower runs first), keeping its place among jobs of that
    /// priority by put order. Returns `false` if it is no longer pending.
    ///
    /// ```swift
    /// queue.reprioritize(job, to: -1)   // next in line
    /// ```
    @discardableResult
    public func reprioritize(_ job: Job, to priority: Int) -> Bool {
        state.withLock { $0.reprioritize(job.id, to: priority) }
    }

    // MARK: Stopping

    /// Stops the queue: no job starts any more, the pending jobs are taken out (their Deferreds reject
    /// with `DeferredJobQueueError` carrying `DeferredJobQueueStoppedError`), and the returned Deferred resolves with them,
    /// in run order, once every underway job has ended — so that they can be saved and re-queued.
    /// Later calls return the same Deferred; later `put`s are rejected.
    ///
    /// ```swift
    /// let unsent = try await queue.stop().value
    /// save(unsent.map(\.argument))
    /// ```
    public func stop(file: StaticString = #fileID, line: UInt = #line) -> Deferred<[Job]> {
        let now = stopwatch.elapsed
        let action = state.withLock { machine in
            machine.stop(at: now) { Deferred<[Job]>(owned: DeferredCallSite(file, line)) }
        }
        switch action {
        case .alreadyStopped(let done):
            return done
        case .stopped(let done, let taken, let finishNow):
            for (deferred, job) in taken {
                var ended = job
                ended._result = .failure(DeferredJobQueueStoppedError())
                reject(deferred, ended, with: DeferredJobQueueStoppedError(), expected: true)
            }
            if finishNow { done.completeAsOwner(.success(taken.map(\.1))) }
            return done
        }
    }

    // MARK: Internals

    /// The number of heap entries (for tests).
    var heapCount: Int { state.withLock { $0.heapCount } }

    /// Rejects a job's Deferred; an expected end (cancel, stop) is marked as received so that a dropped
    /// job Deferred is not reported as an unhandled error.
    @inlinable
    func reject(_ deferred: Deferred<Job>, _ job: Job, with error: any Error, expected: Bool) {
        deferred.completeAsOwner(.failure(DeferredJobQueueError(jobID: job.id, underlyingError: error, job: job)))
        if expected { deferred.markErrorHandled() }
    }

    /// The canceller of a job's Deferred.
    @usableFromInline
    func cancel(_ deferred: Deferred<Job>) {
        guard let id = state.withLock({ $0.jobID(of: deferred.dependentID) }) else { return }
        _ = cancel(jobID: id)
    }

    @usableFromInline
    func cancel(jobID id: Int) -> Bool {
        let now = stopwatch.elapsed
        switch state.withLock({ $0.cancel(id, at: now) }) {
        case .none:
            return false
        case .rejectPending(let deferred, let job):
            reject(deferred, job, with: CancellationError(), expected: true)
        case .withdraw(let dependent, let work):
            withdraw(id, dependent, from: work)
        case .withdrawOnAttach:
            break
        }
        return true
    }

    /// Withdraws job `id`'s interest in its work. If the observer is removed without running (someone
    /// else still wants the work, or its task is still ending), the job's Deferred is rejected with
    /// `CancellationError` at once, but the slot stays taken until the work really ends: a passive
    /// observer frees it then, as `TokenGate.runDeferred` does.
    @usableFromInline
    func withdraw(_ id: Int, _ dependent: UInt, from work: Deferred<Output>) {
        work.withdrawDependent(dependent) { [self] _ in
            let now = stopwatch.elapsed
            if let (deferred, job) = state.withLock({ $0.endEarly(id, at: now) }) {
                reject(deferred, job, with: CancellationError(), expected: true)
            }
            work.addPassiveObserver { [self] result in finish(id, with: result) }
        }
    }

    /// Starts jobs while there is room. One loop at a time: a slot freed while it runs (by a handler
    /// that completes at once, or on another thread) is seen by the running loop, so nothing recurses.
    @inlinable
    func launchJobs() {
        guard state.withLock({ $0.startLaunching() }) else { return }
        while true {
            let now = stopwatch.elapsed
            guard let next = state.withLock({ $0.nextLaunch(at: now) }) else { return }
            launch(next)
        }
    }

    @inlinable
    func launch(_ launch: Machine.Launch) {
        let id = launch.id
        let work = handler(launch.argument)
        work.addDependent(launch.dependent) { [self] result in finish(id, with: result) }
        if state.withLock({ $0.attach(work, toJob: id) }) {
            withdraw(id, launch.dependent, from: work)
        }
    }

    /// Job `id`'s work has ended: its slot frees, and its Deferred completes (unless a cancellation
    /// already rejected it).
    @inlinable
    func finish(_ id: Int, with result: Result<Output, any Error>) {
        let now = stopwatch.elapsed
        // `finish` (and the work it hands out) is released after unlocking.
        guard let finish = state.withLock({ $0.finish(id, with: result, at: now) }) else { return }
        switch result {
        case .success:
            finish.deferred.completeAsOwner(.success(finish.job))
        case .failure(let error):
            reject(finish.deferred, finish.job, with: error, expected: error is CancellationError)
        }
        if let (done, saved) = finish.stopDone {
            done.completeAsOwner(.success(saved))
        }
        launchJobs()
    }
}

// MARK: - JobCancelTarget

/// What the one canceller of a queue's job Deferreds calls: the queue, held weakly. A job Deferred
/// cancelled after its queue is gone is rejected with `CancellationError`.
@usableFromInline
final class JobCancelTarget<Argument: Sendable, Output: Sendable>: Sendable {
    struct Reference: Sendable {
        weak var queue: DeferredJobQueue<Argument, Output>?
    }

    let queue = LockedState(Reference())

    func cancel(_ job: Deferred<DeferredJobQueue<Argument, Output>.Job>) {
        guard let queue = queue.withLock({ $0.queue }) else {
            job.completeAsOwner(.failure(CancellationError()))
            return
        }
        queue.cancel(job)
    }
}

// MARK: - JobQueue

/// A queue that runs a handler on the arguments you `put`, at most `width` at a time, in priority order
/// — txrdq's ResizableDispatchQueue.
///
/// Use it to send work to a service at a controlled rate: raise `width` and more jobs start at once;
/// lower it and the running jobs finish while no new ones start until fewer than `width` are underway.
/// **Lower priority numbers run first**; jobs of equal priority run in the order they were put.
///
/// Each `put` returns a `Deferred<Job>` that resolves with the finished `Job` (argument, priority,
/// queued/launched/stopped times and the handler's result). When the handler fails, or the job is
/// cancelled, it rejects with `JobError`, which carries the `Job` too. Cancelling that Deferred cancels
/// the job. `stop()` waits for the underway jobs and hands back the ones not yet started, so that they
/// can be saved and put into a new queue later.
///
/// Times are measured on the queue's clock, as the time elapsed since the queue was created. The
/// handler runs on the thread that puts the job or that completes the previous one, never under a lock.
///
/// ```swift
/// let sms = JobQueue(width: 5) { (message: SMS) in gateway.send(message) }
/// sms.put(SMS(to: "2127399921", text: "Hello"), priority: 5)
/// sms.width = 10                       // widen the pipeline
/// let unsent = try await sms.stop().value   // save these and re-queue them on restart
/// ```
public final class JobQueue<Argument: Sendable, Output: Sendable>: @unchecked Sendable {
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
        public internal(set) var priority: Int
        /// When the job was put, on the queue's clock (time since the queue was created).
        public let queuedAt: Duration
        /// When the handler was called, if it has been.
        public internal(set) var launchedAt: Duration?
        /// When the job ended (finished, failed, was cancelled or was handed back by `stop()`).
        public internal(set) var stoppedAt: Duration?
        /// The handler's result — or `CancellationError` for a cancelled job — once the job has ended.
        public internal(set) var result: Result<Output, any Error>?

        /// The handler's value, if the job succeeded.
        public var output: Output? { try? result?.get() }

        public var description: String {
            "Job #\(id)(\(argument), priority \(priority), queued at \(queuedAt)"
                + (launchedAt.map { ", launched at \($0)" } ?? "") + (stoppedAt.map { ", stopped at \($0)" } ?? "") + ")"
        }
    }

    /// The error of a job's Deferred when the handler failed (`error` is its error), the job was cancelled
    /// (`CancellationError`) or the queue was stopped before it started (`JobQueueStoppedError`).
    ///
    /// ```swift
    /// catch let failure as JobQueue<SMS, Receipt>.JobError { requeue(failure.job.argument) }
    /// ```
    public struct JobError: Error, CustomStringConvertible {
        /// The job, as it was when it ended.
        public let job: Job
        /// Why it ended.
        public let error: any Error

        public var description: String { "JobError(\(job): \(error))" }
    }

    // MARK: State

    private enum CancelAction {
        case none
        case endPending(Record)
        case withdraw(Record, Deferred<Output>)
        case wait
    }

    private final class Record: @unchecked Sendable {
        // Guarded by the queue's lock, except `deferred`, which never changes.
        var job: Job
        let sequence: UInt64
        var launchOrder: UInt64 = 0
        var work: Deferred<Output>?
        var cancelRequested = false
        var deferred: Deferred<Job>!

        init(job: Job, sequence: UInt64) {
            self.job = job
            self.sequence = sequence
        }

        var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }
    }

    private let handler: @Sendable (Argument) -> Deferred<Output>
    private let elapsed: @Sendable () -> Duration

    private let lock = InternalLock()
    // Guarded by `lock`.
    private var currentWidth: Int
    private var paused = false
    private var stopped: Deferred<[Job]>?
    private var savedOnStop: [Job] = []
    private var pendingRecords: [Int: Record] = [:]
    private var heap = JobHeap()
    private var underwayRecords: [Int: Record] = [:]
    private var nextID = 0
    private var nextSequence: UInt64 = 0
    private var launchCount: UInt64 = 0
    /// A launch loop is running (on some thread); it will see every slot that frees up.
    private var launching = false

    // MARK: Creating

    /// A queue that runs `handler` on each argument, at most `width` at a time.
    ///
    /// ```swift
    /// let fetches = JobQueue(width: 4) { (url: URL) in fetch(url) }
    /// ```
    public init(
        width: Int, clock: some Clock<Duration> = ContinuousClock(),
        handler: @escaping @Sendable (Argument) -> Deferred<Output>
    ) {
        precondition(width >= 0, "JobQueue needs a width of at least 0, got \(width)")
        self.handler = handler
        currentWidth = width
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
    }

    /// A queue that runs the async `handler` on each argument, at most `width` at a time. Cancelling an
    /// underway job cancels its task.
    ///
    /// ```swift
    /// let uploads = JobQueue(width: 2) { (file: URL) in try await upload(file) }
    /// ```
    public convenience init(
        width: Int, clock: some Clock<Duration> = ContinuousClock(),
        handler: @escaping @Sendable (Argument) async throws -> Output
    ) {
        self.init(width: width, clock: clock, handler: { argument in Deferred { try await handler(argument) } })
    }

    // MARK: Putting

    /// Queues `argument`; the returned Deferred resolves with the finished `Job`, or rejects with
    /// `JobError` when the handler fails or the job is cancelled. Lower priority numbers run first.
    ///
    /// Cancelling the returned Deferred cancels the job. On a stopped queue the Deferred is rejected at once.
    ///
    /// ```swift
    /// let sent = queue.put(message, priority: 1)
    /// ```
    @discardableResult
    public func put(
        _ argument: Argument, priority: Int = 0, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Job> {
        let now = elapsed()
        let (record, isStopped) = lock.withLock { () -> (Record, Bool) in
            nextID += 1
            nextSequence += 1
            let record = Record(
                job: Job(id: nextID, argument: argument, priority: priority, queuedAt: now), sequence: nextSequence)
            return (record, stopped != nil)
        }
        let id = record.job.id
        record.deferred = Deferred<Job>(file: file, line: line, canceller: { [weak self] _ in _ = self?.cancel(jobID: id) })
        if isStopped {
            endStopped([record])
            return record.deferred
        }
        let accepted = lock.withLock { () -> Bool in
            guard stopped == nil else { return false }
            pendingRecords[id] = record
            heap.push(JobHeap.Entry(priority: priority, sequence: record.sequence, id: id))
            return true
        }
        if !accepted {
            // `stop()` ran between the two steps.
            endStopped([record])
        }
        launchJobs()
        return record.deferred
    }

    // MARK: Width and pausing

    /// How many jobs may be underway at once. Raising it starts more jobs at once; lowering it lets the
    /// running jobs finish and starts no new ones until fewer than `width` are underway.
    ///
    /// ```swift
    /// queue.width = 7   // we're dispatching too fast
    /// ```
    public var width: Int {
        get { lock.withLock { currentWidth } }
        set {
            precondition(newValue >= 0, "JobQueue needs a width of at least 0, got \(newValue)")
            lock.withLock { currentWidth = newValue }
            launchJobs()
        }
    }

    /// Starts no new jobs until `resume(width:)`; underway jobs go on.
    ///
    /// ```swift
    /// queue.pause()
    /// ```
    public func pause() {
        lock.withLock { paused = true }
    }

    /// Starts jobs again, with a new `width` if you give one.
    ///
    /// ```swift
    /// queue.resume(width: 8)
    /// ```
    public func resume(width: Int? = nil) {
        if let width { precondition(width >= 0, "JobQueue needs a width of at least 0, got \(width)") }
        lock.withLock {
            paused = false
            if let width { currentWidth = width }
        }
        launchJobs()
    }

    /// Whether the queue is paused.
    public var isPaused: Bool { lock.withLock { paused } }

    // MARK: Inspecting

    /// The jobs waiting to start, in the order they will start.
    ///
    /// ```swift
    /// let backlog = queue.pending().count
    /// ```
    public func pending() -> [Job] {
        lock.withLock {
            pendingRecords.values.sorted { ($0.job.priority, $0.sequence) < ($1.job.priority, $1.sequence) }.map(\.job)
        }
    }

    /// The jobs whose handler is running, in the order they started.
    ///
    /// ```swift
    /// for job in queue.underway() { print(job.argument, job.launchedAt!) }
    /// ```
    public func underway() -> [Job] {
        lock.withLock {
            underwayRecords.values.sorted { $0.launchOrder < $1.launchOrder }.map(\.job)
        }
    }

    // MARK: Changing jobs

    /// Cancels `job`: a pending job is removed and its Deferred rejected with `JobError` carrying
    /// `CancellationError`; for an underway job the queue withdraws from the handler's Deferred (which
    /// is cancelled unless someone else wants it), and the job ends with that Deferred's final result.
    /// Returns `false` if the job has already ended.
    ///
    /// ```swift
    /// if let stale = queue.pending().first { queue.cancel(stale) }
    /// ```
    @discardableResult
    public func cancel(_ job: Job) -> Bool {
        cancel(jobID: job.id)
    }

    /// Moves a pending job to `priority` (lower runs first). Returns `false` if it is no longer pending.
    ///
    /// ```swift
    /// queue.reprioritize(job, to: -1)   // next in line
    /// ```
    @discardableResult
    public func reprioritize(_ job: Job, to priority: Int) -> Bool {
        lock.withLock {
            guard let record = pendingRecords[job.id], heap.update(job.id, priority: priority) else { return false }
            record.job.priority = priority
            return true
        }
    }

    // MARK: Stopping

    /// Stops the queue: no job starts any more, the pending jobs are taken out (their Deferreds reject
    /// with `JobError` carrying `JobQueueStoppedError`), and the returned Deferred resolves with them,
    /// in run order, once every underway job has ended — so that they can be saved and re-queued.
    /// Later calls return the same Deferred; later `put`s are rejected.
    ///
    /// ```swift
    /// let unsent = try await queue.stop().value
    /// save(unsent.map(\.argument))
    /// ```
    public func stop() -> Deferred<[Job]> {
        let now = elapsed()
        let (done, taken, finishNow) = lock.withLock { () -> (Deferred<[Job]>, [Record], Bool) in
            if let stopped { return (stopped, [], false) }
            let done = Deferred<[Job]>()
            stopped = done
            let taken = pendingRecords.values.sorted { ($0.job.priority, $0.sequence) < ($1.job.priority, $1.sequence) }
            for record in taken { record.job.stoppedAt = now }
            savedOnStop = taken.map(\.job)
            pendingRecords.removeAll()
            _ = heap.removeAll()
            return (done, taken, underwayRecords.isEmpty)
        }
        endStopped(taken)
        if finishNow { done.settle(.success(taken.map(\.job))) }
        return done
    }

    // MARK: Internals

    /// The number of heap entries (for tests).
    var heapCount: Int { lock.withLock { heap.count } }

    /// Rejects the Deferreds of jobs that `stop()` took out, or that were put into a stopped queue.
    private func endStopped(_ records: [Record]) {
        let now = elapsed()
        for record in records {
            var ended = record.job
            if ended.stoppedAt == nil { ended.stoppedAt = now }
            ended.result = .failure(JobQueueStoppedError())
            reject(record.deferred, with: JobError(job: ended, error: JobQueueStoppedError()), expected: true)
        }
    }

    /// Rejects a job's Deferred; an expected end (cancel, stop) is marked as received so that a dropped
    /// job Deferred is not reported as an unhandled error.
    private func reject(_ deferred: Deferred<Job>, with error: JobError, expected: Bool) {
        deferred.settle(.failure(error))
        if expected { deferred.markErrorHandled() }
    }

    private func cancel(jobID id: Int) -> Bool {
        let now = elapsed()
        let action = lock.withLock { () -> CancelAction in
            if let record = pendingRecords.removeValue(forKey: id) {
                heap.remove(id)
                record.job.stoppedAt = now
                record.job.result = .failure(CancellationError())
                return .endPending(record)
            }
            guard let record = underwayRecords[id], !record.cancelRequested else { return .none }
            record.cancelRequested = true
            guard let work = record.work else { return .wait }  // `launch` will withdraw
            return .withdraw(record, work)
        }
        switch action {
        case .none:
            return false
        case .endPending(let record):
            reject(record.deferred, with: JobError(job: record.job, error: CancellationError()), expected: true)
        case .withdraw(let record, let work):
            withdraw(record, from: work)
        case .wait:
            break
        }
        return true
    }

    /// Withdraws the job's interest in its handler's Deferred. If the observer is removed without
    /// running (someone else still wants the work, or its task is still ending), the job's Deferred is
    /// rejected with `CancellationError` at once, but the slot stays taken until the work really ends: a
    /// passive observer frees it then, as `TokenGate.runDeferred` does.
    private func withdraw(_ record: Record, from work: Deferred<Output>) {
        work.withdrawDependent(record.dependentID) { [self] _ in
            var ended = lock.withLock { record.job }
            ended.stoppedAt = elapsed()
            ended.result = .failure(CancellationError())
            reject(record.deferred, with: JobError(job: ended, error: CancellationError()), expected: true)
            work.addPassiveObserver { [self] result in finish(record, with: result) }
        }
    }

    /// Starts jobs while there is room. One loop at a time: a slot freed while it runs (by a handler
    /// that completes at once, or on another thread) is seen by the running loop, so nothing recurses.
    private func launchJobs() {
        let now = elapsed()
        let start = lock.withLock { () -> Bool in
            if launching { return false }
            launching = true
            return true
        }
        guard start else { return }
        var launchedAt = now
        while true {
            let next = lock.withLock { () -> Record? in
                guard !paused, stopped == nil, underwayRecords.count < currentWidth else {
                    launching = false
                    return nil
                }
                if let entry = heap.popFirst() {
                    let record = pendingRecords.removeValue(forKey: entry.id)!
                    record.job.launchedAt = launchedAt
                    launchCount += 1
                    record.launchOrder = launchCount
                    underwayRecords[entry.id] = record
                    return record
                }
                launching = false
                return nil
            }
            guard let record = next else { return }
            launch(record)
            launchedAt = elapsed()
        }
    }

    private func launch(_ record: Record) {
        let work = handler(record.job.argument)
        work.addDependent(record.dependentID) { [self] result in finish(record, with: result) }
        let cancelNow = lock.withLock { () -> Bool in
            record.work = work
            return record.cancelRequested
        }
        if cancelNow { withdraw(record, from: work) }
    }

    /// The job's work has ended: its slot frees, and its Deferred completes (unless a cancellation already
    /// rejected it).
    private func finish(_ record: Record, with result: Result<Output, any Error>) {
        let now = elapsed()
        // The work is handed out and released after unlocking, like everything a lock hold removes.
        let (outcome, _) = lock.withLock { () -> ((job: Job, stopDone: (Deferred<[Job]>, [Job])?)?, Deferred<Output>?) in
            guard underwayRecords.removeValue(forKey: record.job.id) != nil else { return (nil, nil) }
            record.job.stoppedAt = now
            record.job.result = result
            var stopDone: (Deferred<[Job]>, [Job])?
            if let stopped, underwayRecords.isEmpty { stopDone = (stopped, savedOnStop) }
            return ((record.job, stopDone), record.work.take())
        }
        guard let outcome else { return }
        switch result {
        case .success:
            record.deferred.settle(.success(outcome.job))
        case .failure(let error):
            reject(record.deferred, with: JobError(job: outcome.job, error: error), expected: error is CancellationError)
        }
        if let (done, saved) = outcome.stopDone {
            done.settle(.success(saved))
        }
        launchJobs()
    }
}

// MARK: - JobQueueStoppedError

/// Why a job ended without running: its queue was stopped first (`JobQueue.stop()`), or it was put
/// into a stopped queue.
///
/// ```swift
/// catch let failure as JobQueue<SMS, Receipt>.JobError where failure.error is JobQueueStoppedError { … }
/// ```
public struct JobQueueStoppedError: Error, CustomStringConvertible {
    public var description: String { "JobQueueStoppedError: the job queue was stopped before the job started" }
}

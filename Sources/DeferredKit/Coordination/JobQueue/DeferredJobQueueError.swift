// MARK: - DeferredJobQueueError

/// The error of a job's Deferred when the job produced no output: the handler failed
/// (`underlyingError` is its error), the job was cancelled (`CancellationError`), or the queue was
/// stopped before the job started (`DeferredJobQueueStoppedError`).
///
/// It is not generic, so that it can be caught without naming the queue's types; `job(as:)` gives the
/// job back with its types.
///
/// ```swift
/// catch let failure as DeferredJobQueueError {
///     if let job = failure.job(as: DeferredJobQueue<SMS, Receipt>.Job.self) { requeue(job.argument) }
/// }
/// ```
public struct DeferredJobQueueError: Error, CustomStringConvertible {
    /// The job's id within its queue.
    public var jobID: Int
    /// Why the job ended without an output.
    public var underlyingError: any Error
    /// The job (a `DeferredJobQueue<Argument, Output>.Job`) as it was when it ended.
    public var job: any Sendable

    /// An error for `job`, which ended with `underlyingError`.
    public init(jobID: Int, underlyingError: any Error, job: any Sendable) {
        self.jobID = jobID
        self.underlyingError = underlyingError
        self.job = job
    }

    /// The job with its types, or `nil` if it belongs to a queue of other types.
    ///
    /// ```swift
    /// let job = failure.job(as: DeferredJobQueue<SMS, Receipt>.Job.self)
    /// ```
    public func job<Argument, Output>(as type: DeferredJobQueue<Argument, Output>.Job.Type) -> DeferredJobQueue<Argument, Output>.Job? {
        job as? DeferredJobQueue<Argument, Output>.Job
    }

    /// A one-line description for logs and debugging.
    public var description: String { "DeferredJobQueueError(\(job): \(underlyingError))" }
}

// MARK: - DeferredJobQueueStoppedError

/// Why a job ended without running: its queue was stopped first (`DeferredJobQueue.stop()`), or it was put
/// into a stopped queue. It is the `underlyingError` of the job's `DeferredJobQueueError`.
///
/// ```swift
/// catch let failure as DeferredJobQueueError where failure.underlyingError is DeferredJobQueueStoppedError { … }
/// ```
public struct DeferredJobQueueStoppedError: Error, Equatable, CustomStringConvertible {
    /// The error.
    public init() {}

    /// A one-line description for logs and debugging.
    public var description: String { "DeferredJobQueueStoppedError: the job queue was stopped before the job started" }
}

// MARK: - PromiseOptions

/// Timing and retry settings for one durable promise.
///
/// - `deadline`: the whole promise's time budget, counted on the database server's clock from the
///   moment the graph is inserted. Past it, the promise is rejected with a `.timedOut` failure (whatever
///   state it is in: waiting for parents, ready, or running) and its dependents receive that failure.
/// - `lease`: how long one attempt may go without a heartbeat. A worker renews the lease while the
///   handler runs; a worker that dies stops renewing, and when the lease expires the promise is retried.
/// - `maxAttempts`: attempts in all, including the first. When the last attempt's lease expires, the
///   promise is rejected with `.attemptsExhausted`.
/// - `backoff`: the delay before the second attempt; it doubles for each further one.
///
/// ```swift
/// graph.call(Resize.self, id: "resize-1", input: image, options: .init(deadline: .seconds(60)))
/// ```
public struct PromiseOptions: Sendable, Hashable {
    public var deadline: Duration?
    public var lease: Duration
    public var maxAttempts: Int
    public var backoff: Duration

    public init(deadline: Duration? = nil, lease: Duration = .seconds(30), maxAttempts: Int = 3,
                backoff: Duration = .seconds(1)) {
        precondition(maxAttempts >= 1, "PromiseOptions: maxAttempts must be at least 1 (got \(maxAttempts))")
        precondition(lease > .zero, "PromiseOptions: the lease must be positive (got \(lease))")
        self.deadline = deadline
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attos) = components
        return Double(whole) + Double(attos) / 1e18
    }
}

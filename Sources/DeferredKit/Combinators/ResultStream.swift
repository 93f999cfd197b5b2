// MARK: - ResultStreamState

/// The pure state of a stream of input results: which inputs are still pending, results waiting for
/// their turn (in add order), results ready to hand to consumers, and how the stream ends.
///
/// Its mutating methods return a `Delivery`: results to put into the consumers' queue, in order, and
/// possibly the end. One thread delivers at a time (`isDelivering`), so results reach the queue in the
/// order this state decided, whichever threads completed the inputs.
@usableFromInline
struct ResultStreamState<Value: Sendable>: Sendable {
    @usableFromInline
    enum Order: Sendable {
        /// Each result as soon as its input completes.
        case completion
        /// Each result once every input added before it has been delivered.
        case addition
    }

    /// What the deliverer does next, outside the lock.
    @usableFromInline
    struct Delivery: Sendable {
        var results: [Result<Value, any Error>]
        /// End the stream after `results`: `.some(nil)` ends it, `.some(error)` ends it throwing `error`.
        var end: (any Error)??
        /// Inputs to withdraw from (after `finish(throwing:)` in completion order).
        var withdrawals: [Deferred<Value>] = []
    }

    let order: Order
    /// Inputs added so far; the next input's index.
    private(set) var added = 0
    /// Inputs whose results have not arrived (and that were not withdrawn from).
    private var pending = 0
    /// Add order: the index of the next result to deliver, and the results that arrived ahead of it.
    private var nextInTurn = 0
    private var early: [Int: Result<Value, any Error>] = [:]
    /// Results decided but not yet handed to the deliverer.
    private var outbox: [Result<Value, any Error>] = []
    private var isDelivering = false
    /// `finish()` or `finish(throwing:)` was called.
    private(set) var isFinished = false
    /// The error of `finish(throwing:)`.
    private var failure: (any Error)?
    /// Completion order after `finish(throwing:)`: results of inputs still pending are dropped.
    private var dropsPending = false
    private var isEnded = false
    /// The inputs still pending, held weakly, for the withdrawal of `finish(throwing:)`.
    private var inputs = PendingInputs<Value>()

    init(order: Order) { self.order = order }

    /// Registers the next input and returns its index. Traps after `finish`.
    mutating func add(_ input: Deferred<Value>, _ type: String) -> Int {
        precondition(!isFinished, "\(type).add(_:) called after the queue was finished")
        pending += 1
        added += 1
        return inputs.add(input)
    }

    /// The input at `index` completed with `result`.
    mutating func receive(_ result: Result<Value, any Error>, at index: Int) -> Delivery? {
        pending -= 1
        inputs.settle(index)
        switch order {
        case .completion:
            if !dropsPending { outbox.append(result) }
        case .addition:
            if index == nextInTurn {
                outbox.append(result)
                nextInTurn += 1
                while let next = early.removeValue(forKey: nextInTurn) {
                    outbox.append(next)
                    nextInTurn += 1
                }
            } else {
                early[index] = result
            }
        }
        return startDelivering()
    }

    /// No more inputs; with `error`, the stream throws it after the results it still delivers: in
    /// completion order those already arrived (pending inputs are dropped), in add order every input added.
    mutating func finish(throwing error: (any Error)?, _ type: String) -> Delivery? {
        precondition(!isFinished, "\(type) finished twice")
        isFinished = true
        failure = error
        var withdrawals: [Deferred<Value>] = []
        if error != nil, order == .completion {
            dropsPending = true
            withdrawals = inputs.takeForWithdrawal()
        }
        var delivery = startDelivering()
        if !withdrawals.isEmpty {
            if delivery == nil { delivery = Delivery(results: [], end: .none) }
            delivery!.withdrawals = withdrawals
        }
        return delivery
    }

    /// The deliverer handed over its batch: the next batch, or `nil` (and the deliverer stops).
    mutating func delivered() -> Delivery? {
        isDelivering = false
        return startDelivering()
    }

    private mutating func startDelivering() -> Delivery? {
        if isDelivering || isEnded { return nil }
        let ends = isFinished && (pending == 0 || dropsPending)
        if outbox.isEmpty && !ends { return nil }
        isDelivering = true
        let results = outbox
        outbox = []
        if ends { isEnded = true }
        return Delivery(results: results, end: ends ? .some(failure) : .none)
    }
}

// MARK: - ResultStream

/// The consumer side of the queue collectors: results go into a `DeferredQueue`, so that a consumer that
/// gives up while waiting (its task is cancelled) takes nothing — the queue removes its get from the line,
/// and a result already on its way goes to the next consumer or back to the front of the buffer.
@usableFromInline
final class ResultStream<Value: Sendable>: Sendable {
    private let state: LockedState<ResultStreamState<Value>>
    private let queue = DeferredQueue<Result<Value, any Error>>()
    /// The error consumers throw once the queue is drained.
    private let failure = LockedState<(any Error)?>(nil)
    private let typeName: String

    init(order: ResultStreamState<Value>.Order, typeName: String) {
        state = LockedState(ResultStreamState(order: order))
        self.typeName = typeName
    }

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    /// Adds `input`: its result joins the stream when it completes.
    func add(_ input: Deferred<Value>) {
        let index = state.withLock { $0.add(input, typeName) }
        // The stream wants the result on behalf of its consumers, and counts as having received an error.
        input.addDependent(dependentID) { [self] result in
            deliver(state.withLock { $0.receive(result, at: index) })
        }
    }

    /// No more inputs (see `ResultStreamState.finish(throwing:_:)`).
    func finish(throwing error: (any Error)? = nil) {
        deliver(state.withLock { $0.finish(throwing: error, "\(typeName).finish") })
    }

    private func deliver(_ first: ResultStreamState<Value>.Delivery?) {
        var delivery = first
        while let current = delivery {
            if !current.results.isEmpty || current.end != nil {
                deliverResults(of: current)
                delivery = state.withLock { $0.delivered() }
            } else {
                delivery = nil
            }
            // Withdraw last: a withdrawn input's final result is dropped by the state.
            for input in current.withdrawals { input.withdrawDependent(dependentID) }
        }
    }

    private func deliverResults(of current: ResultStreamState<Value>.Delivery) {
        for result in current.results {
            // The queue is unbounded and finished only below, by this deliverer: `put` cannot throw.
            try? queue.put(result)
        }
        if let end = current.end {
            if let end { failure.withLock { $0 = end } }
            queue.finish()
        }
    }

    /// The next result, waiting for it; `nil` at the end; throws the `finish(throwing:)` error at the
    /// end, or `CancellationError` when the calling task is cancelled while waiting (taking nothing).
    func next() async throws -> Result<Value, any Error>? {
        do {
            return try await queue.take()
        } catch is QueueFinished {
            if let error = failure.withLock({ $0 }) { throw error }
            return nil
        }
    }
}

// MARK: - ResultChannelIterator

/// The iterator of `QueueFuture` and `SerialQueueFuture`: each element is the result of the next input.
///
/// ```swift
/// var results = queue.makeAsyncIterator()
/// while let result = try await results.next() { print(result) }
/// ```
public struct ResultChannelIterator<Value: Sendable>: AsyncIteratorProtocol {
    let stream: ResultStream<Value>

    init(_ stream: ResultStream<Value>) { self.stream = stream }

    /// The next result, waiting for it if needed; `nil` after `complete()`; throws the `fail(_:)` error
    /// after the remaining results. A cancelled wait throws `CancellationError` and takes no result.
    ///
    /// ```swift
    /// if let first = try await results.next() { print(first) }
    /// ```
    public mutating func next() async throws -> Result<Value, any Error>? {
        try await stream.next()
    }
}

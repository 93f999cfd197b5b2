// MARK: - DeferredGroup

/// A group of Deferreds you add to, then finish, and read one way: the values in add order, the results
/// as they complete or in add order, or a reduction.
///
/// ```swift
/// let group = DeferredGroup<User>()
/// for id in ids { group.add(fetchUser(id)) }
/// group.finish()
/// let users = try await group.values().value          // in add order
/// ```
///
/// Read it with exactly one of:
/// - `values()`: a Deferred for every value in add order; the first failure rejects it at once.
/// - `results()`: an `AsyncSequence` of each input's `Result`, as the inputs complete.
/// - `resultsInAddOrder()`: the same, in add order.
/// - `reduce(batchSize:_:)`: a Deferred for the values folded in batches as they arrive.
///
/// Results that arrive before the reading is chosen wait for it, so the usual order — add, finish,
/// read — and any other order give the same outcome. Asking for the same reading again returns the same
/// output; asking for another traps, because each result is handed out once. Adding after `finish()`,
/// or finishing twice, traps.
///
/// The group is a dependent of every input until that input completes: its interest keeps the input
/// from being cancelled on behalf of others, and every input error counts as handled. `cancelAll()`
/// withdraws that interest (an input nobody else wants is cancelled); the reading still receives each
/// input's final result — for an input that others still want, `CancellationError`. A decided
/// `values()` or `reduce` withdraws from the inputs still pending in the same way.
///
/// Observers of the outputs run synchronously on the thread that completes the deciding input (or that
/// calls `finish()`), outside every lock. This type replaces App Engine ndb's `MultiFuture`,
/// `QueueFuture`, `SerialQueueFuture` and `ReducingFuture`.
public final class DeferredGroup<Value: Sendable>: Sendable {
    private typealias Machine = DeferredGroupStateMachine<Value>

    private let state = LockedState(Machine())
    /// The consumers' queue of a `results()` or `resultsInAddOrder()` reading.
    private let queue = DeferredQueue<Result<Value, any Error>>()
    /// The error that ends that queue, if `finish(throwing:)` gave one.
    private let queueFailure = LockedState<(any Error)?>(nil)
    /// The reducer of a `reduce` reading, set once when it is chosen.
    private let reducer = LockedState<(@Sendable ([Value]) -> Deferred<Value>)?>(nil)

    /// Where the group was created: named by `DeferredAbandonedError` if it is freed unfinished.
    private let creationSite: DeferredCallSite

    /// Creates an empty group.
    public init(file: StaticString = #fileID, line: UInt = #line) {
        creationSite = DeferredCallSite(file, line)
    }

    /// A group freed before its `values()` or `reduce` output was decided (it was never finished, and no
    /// input still holds it) can never complete that output: it is rejected with `DeferredAbandonedError`.
    deinit {
        let (values, reduction) = state.withLock { $0.abandon() }
        let error = DeferredAbandonedError(createdAt: creationSite)
        values?.settle(.failure(error))
        reduction?.settle(.failure(error))
    }

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Adding

    /// Adds `input` as the group's next member (its index is the number added before it).
    ///
    /// An input that is already complete counts at once. After `cancelAll()` or once a `values()`/`reduce`
    /// reading is decided, the group withdraws from `input` at once. Traps after `finish()`.
    ///
    /// ```swift
    /// group.add(fetchUser(id))
    /// group.add(.resolved(cachedUser))
    /// ```
    public func add(_ input: Deferred<Value>) {
        let (index, withdrawNow) = state.withLock { $0.add(input) }
        input.addDependent(dependentID) { [self] result in
            perform(state.withLock { $0.receive(result, at: index) })
        }
        if withdrawNow { withdraw(from: input, at: index) }
    }

    /// How many inputs were added.
    public var count: Int { state.withLock { $0.added } }

    // MARK: Finishing

    /// Declares that nothing more will be added: the reading completes once every input has delivered
    /// its result. Calling it twice traps.
    ///
    /// ```swift
    /// for page in pages { group.add(fetch(page)) }
    /// group.finish()
    /// ```
    public func finish() {
        perform(state.withLock { $0.finish(throwing: nil) })
    }

    /// Declares that nothing more will be added and ends the reading with `error`: `values()` and
    /// `reduce` reject with it at once (and withdraw from the inputs still pending); a results sequence
    /// delivers every input's result, then throws it. Calling it twice, or after `finish()`, traps.
    ///
    /// ```swift
    /// group.finish(throwing: QuotaExceededError())
    /// ```
    public func finish(throwing error: any Error) {
        perform(state.withLock { $0.finish(throwing: error) })
    }

    /// Withdraws from every pending input, and from every input added later: each one nobody else wants
    /// is cancelled. The reading still receives each input's final result; an input that others still
    /// want counts as failed with `CancellationError`.
    ///
    /// ```swift
    /// group.cancelAll()   // we have what we needed
    /// ```
    public func cancelAll() {
        perform(state.withLock { $0.cancelAll() })
    }

    // MARK: Reading

    /// A Deferred for the values of every input, in add order, once the group is finished.
    ///
    /// The first failure rejects it at once, and the group then withdraws from the inputs still pending;
    /// `finish(throwing:)` rejects it with that error. Cancelling it withdraws from every pending input
    /// and ends the reading as if the group were finished: it completes from each input's final result by
    /// the same rule. Calling it again returns the same Deferred.
    ///
    /// ```swift
    /// let users = try await group.values().value
    /// ```
    public func values(file: StaticString = #fileID, line: UInt = #line) -> Deferred<[Value]> {
        let candidate = Deferred<[Value]>.makeOwned(file: file, line: line) { [weak self] output in
            if let self { cancelOutput() } else { output.settle(.failure(CancellationError())) }
        }
        let (existing, actions) = state.withLock { $0.read(as: .values(candidate)) }
        perform(actions)
        return existing.map { $0 as! Deferred<[Value]> } ?? candidate
    }

    /// The result of every input, as each completes (a failure is an element, not the end).
    ///
    /// The sequence ends once the group is finished and every result was delivered, or throws the
    /// `finish(throwing:)` error after them. Several tasks may iterate it; each result goes to one of
    /// them. A task cancelled while it waits throws `CancellationError` and takes no result.
    ///
    /// ```swift
    /// for try await result in group.results() { show(result) }   // fastest first
    /// ```
    public func results() -> Results {
        perform(state.withLock { $0.read(as: .results(inAddOrder: false)).actions })
        return Results(group: self)
    }

    /// The result of every input, in add order: each waits for the inputs added before it. Otherwise as
    /// `results()`.
    ///
    /// ```swift
    /// for try await row in group.resultsInAddOrder() { print(try row.get()) }   // page order
    /// ```
    public func resultsInAddOrder() -> Results {
        perform(state.withLock { $0.read(as: .results(inAddOrder: true)).actions })
        return Results(group: self)
    }

    /// A Deferred for the values folded by `reducer`, in batches: whenever `batchSize` values are ready,
    /// `reducer` combines them into one, which joins the values still to reduce; at the end, the values
    /// left are reduced once more.
    ///
    /// `reducer` must behave like `sum`: associative, and indifferent to the order of its input (values
    /// are reduced in completion order). The result is `nil`, without a call to `reducer`, when nothing
    /// was added, and the single value, unreduced, when one was. A failing input, a throwing `reducer` or
    /// `finish(throwing:)` rejects it. `reducer` runs synchronously, outside every lock, on the thread that
    /// completes the input that fills a batch (or in `finish()`). Cancelling the result withdraws from
    /// every pending input. Calling it again returns the same Deferred and ignores the new arguments.
    ///
    /// - Parameters:
    ///   - batchSize: how many values each call to `reducer` receives, at least 2.
    ///   - file: the creation site reported by diagnostics; leave the default.
    ///   - line: the creation site reported by diagnostics; leave the default.
    ///   - reducer: combines a batch into one value; an error it throws rejects the result.
    ///
    /// ```swift
    /// let total = try await group.reduce(batchSize: 20) { $0.reduce(0, +) }.value ?? 0
    /// ```
    public func reduce(
        batchSize: Int = 20, file: StaticString = #fileID, line: UInt = #line,
        _ reducer: @escaping @Sendable ([Value]) throws -> Value
    ) -> Deferred<Value?> {
        reduce(batchSize: batchSize, file: file, line: line) { values -> Deferred<Value> in
            do {
                return .resolved(try reducer(values))
            } catch {
                return .rejected(error)
            }
        }
    }

    /// As `reduce(batchSize:_:)`, with a reducer that returns a Deferred (for example, a tasklet).
    ///
    /// ```swift
    /// let index = group.reduce(batchSize: 8) { parts in Deferred { try await merge(parts) } }
    /// ```
    public func reduce(
        batchSize: Int = 20, file: StaticString = #fileID, line: UInt = #line,
        _ reducer: @escaping @Sendable ([Value]) -> Deferred<Value>
    ) -> Deferred<Value?> {
        precondition(batchSize >= 2, "DeferredGroup.reduce: batchSize must be at least 2 (got \(batchSize))")
        let candidate = Deferred<Value?>.makeOwned(file: file, line: line) { [weak self] output in
            if let self { cancelOutput() } else { output.settle(.failure(CancellationError())) }
        }
        let kept = self.reducer.withLock { stored -> (@Sendable ([Value]) -> Deferred<Value>)? in
            if stored == nil {
                stored = reducer
                return nil
            }
            return reducer  // a second call: its reducer is released after unlocking
        }
        _ = kept
        let (existing, actions) = state.withLock { $0.read(as: .reduction(candidate, batchSize: batchSize)) }
        perform(actions)
        return existing.map { $0 as! Deferred<Value?> } ?? candidate
    }

    // MARK: Performing actions

    private func cancelOutput() {
        perform(state.withLock { $0.cancelOutput() })
    }

    /// Performs what the state machine decided, outside the lock; while this thread holds the delivery
    /// turn, keeps delivering the results the machine hands out next.
    private func perform(_ first: Machine.Actions) {
        var actions = first
        while true {
            for result in actions.results {
                // The queue is unbounded and only this deliverer finishes it: `put` is accepted at once.
                queue.put(result)
            }
            if let end = actions.end {
                if let end { queueFailure.withLock { $0 = end } }
                queue.finish()
            }
            if let (output, result) = actions.valuesDecision { output.settle(result) }
            if let (output, result) = actions.reductionDecision { output.settle(result) }
            for batch in actions.batches { startReduction(of: batch) }
            for (index, input) in actions.withdrawals { withdraw(from: input, at: index) }
            for (index, reduction) in actions.reductionWithdrawals { withdraw(fromReduction: reduction, at: index) }
            let keepsDelivering = actions.tookDeliveryTurn
            actions = Machine.Actions()  // what the machine let go of is released here
            guard keepsDelivering else { return }
            actions = state.withLock { $0.delivered() }
        }
    }

    private func withdraw(from input: Deferred<Value>, at index: Int) {
        input.withdrawDependent(dependentID) { [self] _ in
            // Removed without running: others still want it; for this group it failed.
            perform(state.withLock { $0.receive(.failure(CancellationError()), at: index) })
        }
    }

    private func startReduction(of batch: [Value]) {
        guard let reducer = reducer.withLock({ $0 }) else { return }
        let reduction = reducer(batch)
        let (index, withdrawNow) = state.withLock { $0.registerReduction(reduction) }
        reduction.addDependent(dependentID) { [self] result in
            perform(state.withLock { $0.receiveReduction(result, at: index) })
        }
        if withdrawNow { withdraw(fromReduction: reduction, at: index) }
    }

    private func withdraw(fromReduction reduction: Deferred<Value>, at index: Int) {
        reduction.withdrawDependent(dependentID) { [self] _ in
            perform(state.withLock { $0.receiveReduction(.failure(CancellationError()), at: index) })
        }
    }

    /// The next result of a results reading; `nil` at the end.
    fileprivate func nextResult() async throws -> Result<Value, any Error>? {
        do {
            return try await queue.take()
        } catch is DeferredQueueFinishedError {
            if let error = queueFailure.withLock({ $0 }) { throw error }
            return nil
        }
    }
}

// MARK: - Results

extension DeferredGroup {
    /// The results of a group's inputs, as an `AsyncSequence` (see `results()` and `resultsInAddOrder()`).
    public struct Results: AsyncSequence, Sendable {
        /// One input's result.
        public typealias Element = Result<Value, any Error>

        fileprivate let group: DeferredGroup<Value>

        /// An iterator over the results.
        public func makeAsyncIterator() -> Iterator {
            Iterator(group: group)
        }

        /// Iterates the results; iterators of the same group share them, each result going to one.
        public struct Iterator: AsyncIteratorProtocol {
            fileprivate let group: DeferredGroup<Value>

            /// The next result, waiting for it; `nil` at the end; throws the `finish(throwing:)` error at
            /// the end, or `CancellationError` when the task is cancelled while waiting (taking nothing).
            public mutating func next() async throws -> Result<Value, any Error>? {
                try await group.nextResult()
            }
        }
    }
}

// MARK: - Owned outputs

extension Deferred {
    /// A pending output that only the library completes (with `settle`). Cancelling it runs `canceller`
    /// and leaves the result to the group, which completes it from its inputs' final results.
    static func makeOwned(
        file: StaticString, line: UInt, canceller: @escaping @Sendable (Deferred<Value>) -> Void
    ) -> Deferred<Value> {
        Deferred(owned: DeferredCallSite(file, line), completesAfterCancel: true, canceller: canceller)
    }
}

// MARK: - DeferredGroupStateMachine

/// The pure state of a `DeferredGroup`: its inputs, whether it is finished, and the one way it is read.
///
/// Every mutating method returns the `Actions` the group performs after unlocking: putting results into
/// the consumers' queue, completing an output, calling the reducer, withdrawing from inputs, and
/// releasing what the state let go of (values and errors, whose `deinit`s are user code). No method
/// calls out, so every transition can be read — and tested — on its own.
struct DeferredGroupStateMachine<Value: Sendable>: Sendable {
    typealias Outcome = Result<Value, any Error>

    /// How the group is read. Results that arrive before a reading is chosen wait in `unread`.
    enum Reading: Sendable {
        case unread([(index: Int, result: Outcome)])
        case values(ValuesReading)
        case results(ResultsReading)
        case reduction(ReductionReading)
    }

    /// The reading a caller asks for, with the output it made for it.
    enum ReadingKind: Sendable {
        case values(Deferred<[Value]>)
        case results(inAddOrder: Bool)
        case reduction(Deferred<Value?>, batchSize: Int)

        var name: String {
            switch self {
            case .values: "values()"
            case .results(let inAddOrder): inAddOrder ? "resultsInAddOrder()" : "results()"
            case .reduction: "reduce(batchSize:_:)"
            }
        }
    }

    /// What to do after unlocking: deliver results, complete an output, call the reducer, withdraw, release.
    struct Actions: Sendable {
        /// Results to put into the consumers' queue, in order; then end it, if `end` is set.
        var results: [Outcome] = []
        /// `.some(nil)`: end the results sequence; `.some(error)`: end it throwing `error`.
        var end: (any Error)?? = .none
        /// The deliverer must keep delivering (`delivered()`), because it took the delivery turn.
        var tookDeliveryTurn = false
        var valuesDecision: (Deferred<[Value]>, Result<[Value], any Error>)?
        var reductionDecision: (Deferred<Value?>, Result<Value?, any Error>)?
        var batches: [[Value]] = []
        var withdrawals: [(index: Int, input: Deferred<Value>)] = []
        var reductionWithdrawals: [(index: Int, input: Deferred<Value>)] = []
        var leftovers: [any Sendable] = []

        mutating func merge(_ other: Self) {
            results += other.results
            if let end = other.end { self.end = end }
            tookDeliveryTurn = tookDeliveryTurn || other.tookDeliveryTurn
            if let decision = other.valuesDecision { valuesDecision = decision }
            if let decision = other.reductionDecision { reductionDecision = decision }
            batches += other.batches
            withdrawals += other.withdrawals
            reductionWithdrawals += other.reductionWithdrawals
            leftovers += other.leftovers
        }
    }

    private(set) var added = 0
    private var inputs = PendingInputs<Value>()
    private(set) var isFinished = false
    /// The error of `finish(throwing:)`.
    private var failure: (any Error)?
    /// `cancelAll()`, or a decided reading: inputs added from now on are withdrawn from at once.
    private var isWithdrawing = false
    private var reading: Reading = .unread([])

    init() {}

    private var pendingCount: Int { inputs.pendingCount }

    /// Finished, and no input is pending: no result will come.
    private var inputsDone: Bool { isFinished && pendingCount == 0 }

    // MARK: Inputs

    /// Registers the next input: its index, and whether to withdraw from it at once. Traps after `finish`.
    mutating func add(_ input: Deferred<Value>) -> (index: Int, withdrawNow: Bool) {
        precondition(!isFinished, "DeferredGroup.add(_:) called after finish()")
        added += 1
        let index = inputs.add(input)
        if case .values(var values) = reading {
            values.collected.addSlot()
            reading = .values(values)
        }
        return (index, isWithdrawing)
    }

    /// The input at `index` completed with `result` (its final result, or `CancellationError` when the
    /// group withdrew from it while others still wanted it).
    mutating func receive(_ result: Outcome, at index: Int) -> Actions {
        guard inputs.isPending(index) else { return Actions() }
        inputs.settle(index)
        var actions = Actions()
        switch reading {
        case .unread(var arrived):
            reading = .unread([])
            arrived.append((index, result))
            reading = .unread(arrived)
        case .values(var values):
            actions = values.receive(result, at: index, isFinished: isFinished, inputsPending: pendingCount)
            reading = .values(values)
        case .results(var results):
            actions = results.receive(result, at: index, inputsDone: inputsDone, failure: failure)
            reading = .results(results)
        case .reduction(var reduction):
            actions = reduction.receive(result, isFinished: isFinished, inputsPending: pendingCount)
            reading = .reduction(reduction)
        }
        return withdrawingIfDecided(actions)
    }

    /// The reducer returned `reduction`: its index, and whether to withdraw from it at once.
    mutating func registerReduction(_ reduction: Deferred<Value>) -> (index: Int, withdrawNow: Bool) {
        guard case .reduction(var state) = reading else { preconditionFailure("a reduction without a reading") }
        let index = state.pendingReductions.add(reduction)
        let withdrawNow = state.isDecided || state.isCancelled
        reading = .reduction(state)
        return (index, withdrawNow)
    }

    /// The Deferred the reducer returned (registered at `index`) completed.
    mutating func receiveReduction(_ result: Outcome, at index: Int) -> Actions {
        guard case .reduction(var reduction) = reading else { return Actions() }
        let actions = reduction.receiveReduction(
            result, at: index, isFinished: isFinished, inputsPending: pendingCount)
        reading = .reduction(reduction)
        return withdrawingIfDecided(actions)
    }

    // MARK: Finishing and cancelling

    /// No more inputs. With `error`, every reading ends with it: `values()` and `reduce` reject at once;
    /// a results sequence throws it after the results still to come. Traps when called twice.
    mutating func finish(throwing error: (any Error)?) -> Actions {
        precondition(!isFinished, "DeferredGroup.finish() called twice")
        isFinished = true
        failure = error
        var actions = Actions()
        switch reading {
        case .unread:
            break
        case .values(var values):
            actions = values.finish(throwing: error, inputsPending: pendingCount)
            reading = .values(values)
        case .results(var results):
            actions = results.ending(inputsDone: inputsDone, failure: error)
            reading = .results(results)
        case .reduction(var reduction):
            actions = reduction.finish(throwing: error, inputsPending: pendingCount)
            reading = .reduction(reduction)
        }
        return withdrawingIfDecided(actions)
    }

    /// Withdraws from every pending input and from every input added later. Each one's final result
    /// still reaches the reading.
    mutating func cancelAll() -> Actions {
        var actions = Actions()
        if !isWithdrawing {
            isWithdrawing = true
            actions.withdrawals = inputs.pendingInputs()
        }
        return actions
    }

    /// The output of `values()` or `reduce` was cancelled: withdraw from every input (and reduction), and
    /// end that reading as if the group were finished — it completes from each input's final result by
    /// its usual rule.
    mutating func cancelOutput() -> Actions {
        var actions = cancelAll()
        switch reading {
        case .values(var values):
            actions.merge(values.cancel(inputsPending: pendingCount))
            reading = .values(values)
        case .reduction(var reduction):
            actions.merge(reduction.cancel(inputsPending: pendingCount))
            reading = .reduction(reduction)
        case .unread, .results:
            break
        }
        return withdrawingIfDecided(actions)
    }

    /// The deliverer put its results into the queue: the next ones, or none (it gives up its turn).
    mutating func delivered() -> Actions {
        guard case .results(var results) = reading else { return Actions() }
        let actions = results.delivered()
        reading = .results(results)
        return actions
    }

    /// The group is being freed: the outputs of an undecided values or reduction reading, to reject.
    mutating func abandon() -> (Deferred<[Value]>?, Deferred<Value?>?) {
        switch reading {
        case .values(let values) where !values.isDecided: (values.output, nil)
        case .reduction(let reduction) where !reduction.isDecided: (nil, reduction.output)
        default: (nil, nil)
        }
    }

    // MARK: Reading

    /// Chooses how the group is read; the results that arrived so far go to that reading. Asking for the
    /// same reading again changes nothing and returns its output; asking for another traps.
    mutating func read(as kind: ReadingKind) -> (output: (any Sendable)?, actions: Actions) {
        let arrived: [(index: Int, result: Outcome)]
        switch reading {
        case .unread(let list):
            arrived = list
        case .values(let values):
            precondition(kind.name == "values()", misuse(kind, after: "values()"))
            return (values.output, Actions())
        case .results(let results):
            let name = results.inAddOrder ? "resultsInAddOrder()" : "results()"
            precondition(kind.name == name, misuse(kind, after: name))
            return (nil, Actions())
        case .reduction(let reduction):
            precondition(kind.name == "reduce(batchSize:_:)", misuse(kind, after: "reduce(batchSize:_:)"))
            return (reduction.output, Actions())
        }
        var actions = Actions()
        actions.leftovers.append(arrived)  // the buffer's storage goes after unlocking
        switch kind {
        case .values(let output):
            var values = ValuesReading(output: output, count: added)
            for (index, result) in arrived where !values.isDecided {
                actions.merge(values.receive(result, at: index, isFinished: false, inputsPending: pendingCount))
            }
            if isFinished, !values.isDecided {
                actions.merge(values.finish(throwing: failure, inputsPending: pendingCount))
            }
            reading = .values(values)
        case .results(let inAddOrder):
            var results = ResultsReading(inAddOrder: inAddOrder)
            for (index, result) in arrived {
                actions.merge(results.receive(result, at: index, inputsDone: false, failure: nil))
            }
            actions.merge(results.ending(inputsDone: inputsDone, failure: failure))
            reading = .results(results)
        case .reduction(let output, let batchSize):
            var reduction = ReductionReading(output: output, batchSize: batchSize)
            for (_, result) in arrived where !reduction.isDecided {
                actions.merge(reduction.receive(result, isFinished: false, inputsPending: pendingCount))
            }
            if isFinished, !reduction.isDecided {
                actions.merge(reduction.finish(throwing: failure, inputsPending: pendingCount))
            }
            reading = .reduction(reduction)
        }
        return (nil, withdrawingIfDecided(actions))
    }

    private func misuse(_ kind: ReadingKind, after name: String) -> String {
        "DeferredGroup.\(kind.name) called after the group was read with \(name): a group is read one way"
    }

    /// A decided output wants nothing more: withdraw from every input still pending.
    private mutating func withdrawingIfDecided(_ actions: Actions) -> Actions {
        var actions = actions
        if actions.valuesDecision != nil || actions.reductionDecision != nil {
            actions.merge(cancelAll())
        }
        return actions
    }
}

// MARK: - ValuesReading

extension DeferredGroupStateMachine {
    /// `values()`: every value in add order once the group is finished; the first failure decides.
    struct ValuesReading: Sendable {
        let output: Deferred<[Value]>
        var collected: OrderedValues<Value>
        private(set) var isDecided = false
        /// The output was cancelled: the reading ends as if the group were finished.
        private(set) var isCancelled = false

        init(output: Deferred<[Value]>, count: Int) {
            self.output = output
            collected = OrderedValues(count: count)
        }

        mutating func receive(_ result: Outcome, at index: Int, isFinished: Bool, inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            switch result {
            case .success(let value):
                collected.store(value, at: index)
                return (isFinished || isCancelled) && collected.isFull ? decide(.success(collected.collect())) : Actions()
            case .failure(let error):
                return decide(.failure(error))
            }
        }

        mutating func finish(throwing error: (any Error)?, inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            if let error { return decide(.failure(error)) }
            return collected.isFull ? decide(.success(collected.collect())) : Actions()
        }

        mutating func cancel(inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            isCancelled = true
            return collected.isFull ? decide(.success(collected.collect())) : Actions()
        }

        mutating func decide(_ result: Result<[Value], any Error>) -> Actions {
            isDecided = true
            var actions = Actions()
            actions.valuesDecision = (output, result)
            actions.leftovers.append(collected.take())
            return actions
        }
    }
}

// MARK: - ResultsReading

extension DeferredGroupStateMachine {
    /// `results()` and `resultsInAddOrder()`: results handed to the consumers' queue in the decided order.
    ///
    /// One thread delivers at a time (`isDelivering`), so results reach the queue in this order whichever
    /// threads completed the inputs.
    struct ResultsReading: Sendable {
        let inAddOrder: Bool
        /// Add order: the index of the next result to deliver, and the results that arrived ahead of it.
        private var nextInTurn = 0
        private var early: [Int: Outcome] = [:]
        /// Results decided but not yet handed to the deliverer.
        private var outbox: [Outcome] = []
        private var isDelivering = false
        /// The end, once decided and not yet delivered: `.some(nil)` ends, `.some(error)` throws.
        private var end: (any Error)?? = .none
        private var isEnded = false

        init(inAddOrder: Bool) { self.inAddOrder = inAddOrder }

        mutating func receive(_ result: Outcome, at index: Int, inputsDone: Bool, failure: (any Error)?) -> Actions {
            if !inAddOrder {
                outbox.append(result)
            } else if index == nextInTurn {
                outbox.append(result)
                nextInTurn += 1
                while let next = early.removeValue(forKey: nextInTurn) {
                    outbox.append(next)
                    nextInTurn += 1
                }
            } else {
                early[index] = result
            }
            return ending(inputsDone: inputsDone, failure: failure)
        }

        /// Decides the end once no result can come, then hands out what is ready.
        mutating func ending(inputsDone: Bool, failure: (any Error)?) -> Actions {
            if inputsDone, !isEnded, end == nil { end = .some(failure) }
            return startDelivering()
        }

        /// The deliverer handed over its results: the next ones, if any.
        mutating func delivered() -> Actions {
            isDelivering = false
            return startDelivering()
        }

        private mutating func startDelivering() -> Actions {
            guard !isDelivering, !isEnded, !outbox.isEmpty || end != nil else { return Actions() }
            isDelivering = true
            var actions = Actions()
            actions.tookDeliveryTurn = true
            actions.results = outbox
            outbox = []
            if let decided = end {
                actions.end = .some(decided)
                end = .none
                isEnded = true
            }
            return actions
        }
    }
}

// MARK: - ReductionReading

extension DeferredGroupStateMachine {
    /// `reduce(batchSize:_:)`: values are reduced in batches of `batchSize` as they arrive; what is left at
    /// the end is reduced once more. The first failure — of an input or of a reduction — decides.
    struct ReductionReading: Sendable {
        let output: Deferred<Value?>
        let batchSize: Int
        private var ready: [Value] = []
        /// Batches handed to the reducer whose result has not arrived.
        private var reductionsInFlight = 0
        /// The Deferreds the reducer returned, held weakly, for withdrawal.
        var pendingReductions = PendingInputs<Value>()
        private(set) var isDecided = false
        private(set) var isCancelled = false

        init(output: Deferred<Value?>, batchSize: Int) {
            self.output = output
            self.batchSize = batchSize
        }

        mutating func receive(_ result: Outcome, isFinished: Bool, inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            switch result {
            case .success(let value):
                ready.append(value)
                return step(isFinished: isFinished, inputsPending: inputsPending)
            case .failure(let error):
                return decide(.failure(error))
            }
        }

        mutating func receiveReduction(_ result: Outcome, at index: Int, isFinished: Bool, inputsPending: Int) -> Actions {
            reductionsInFlight -= 1
            pendingReductions.settle(index)
            return receive(result, isFinished: isFinished, inputsPending: inputsPending)
        }

        mutating func finish(throwing error: (any Error)?, inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            if let error { return decide(.failure(error)) }
            return step(isFinished: true, inputsPending: inputsPending)
        }

        mutating func cancel(inputsPending: Int) -> Actions {
            guard !isDecided else { return Actions() }
            isCancelled = true
            var actions = Actions()
            actions.reductionWithdrawals = pendingReductions.pendingInputs()
            actions.merge(step(isFinished: true, inputsPending: inputsPending))
            return actions
        }

        /// A full batch goes to the reducer; at the end, what is left is reduced once more, or decides.
        private mutating func step(isFinished: Bool, inputsPending: Int) -> Actions {
            let atEnd = (isFinished || isCancelled) && inputsPending == 0 && reductionsInFlight == 0
            var actions = Actions()
            if ready.count >= batchSize || (atEnd && ready.count > 1) {
                actions.batches.append(ready)
                ready = []
                reductionsInFlight += 1
                return actions
            }
            if atEnd { return decide(.success(ready.first)) }
            return actions
        }

        mutating func decide(_ result: Result<Value?, any Error>) -> Actions {
            isDecided = true
            var actions = Actions()
            actions.reductionDecision = (output, result)
            actions.reductionWithdrawals = pendingReductions.pendingInputs()
            actions.leftovers.append(ready)
            ready = []
            return actions
        }
    }
}

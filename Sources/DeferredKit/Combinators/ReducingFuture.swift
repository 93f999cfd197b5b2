// MARK: - ReducingFuture

/// A collector that folds its results with a reducer, in batches — ndb's `ReducingFuture`.
///
/// Add Deferreds and values, then `complete()`. Whenever `batchSize` values are ready, the reducer
/// combines them into one, which joins the remaining values; at the end the values left are reduced
/// once more. The reducer must behave like `sum`: associative, and indifferent to the order of its
/// input (values are reduced in completion order). `deferred` resolves with the final value; with `nil`,
/// without calling the reducer, when nothing was added; with the single item, unreduced, when one was.
/// A failing input, a failing reducer, or `fail(_:)` rejects it. Adding after `complete()`/`fail(_:)`,
/// or finishing twice, traps.
///
/// The reducer runs synchronously on the thread that completes the input that fills a batch (or in
/// `complete()`), outside every lock.
///
/// ```swift
/// let total = ReducingFuture<Int>(batchSize: 20) { $0.reduce(0, +) }
/// for shard in shards { total.add(count(shard)) }
/// total.complete()
/// print(try await total.deferred.value ?? 0)
/// ```
public final class ReducingFuture<Value: Sendable>: @unchecked Sendable {
    /// The reduced value once `complete()` was called and everything is reduced; `nil` if nothing was added.
    public let deferred: Deferred<Value?>

    private let reducer: @Sendable ([Value]) -> Deferred<Value>
    private let batchSize: Int

    // Every stored property below is guarded by `lock`.
    private let lock = InternalLock()
    private var ready: [Value] = []
    /// Inputs and reductions not yet complete.
    private var pending = 0
    private var isClosed = false
    private var isDecided = false
    private var inputs = PendingInputs<Value>()

    /// Creates a collector whose reducer returns a Deferred (for example, a tasklet).
    ///
    /// ```swift
    /// let merged = ReducingFuture<Index>(batchSize: 8) { parts in Deferred { try await merge(parts) } }
    /// ```
    public init(
        batchSize: Int = 20, file: StaticString = #fileID, line: UInt = #line,
        reducer: @escaping @Sendable ([Value]) -> Deferred<Value>
    ) {
        precondition(batchSize >= 2, "ReducingFuture: batchSize must be at least 2 (got \(batchSize))")
        self.batchSize = batchSize
        self.reducer = reducer
        let withdrawal = Withdrawal()
        deferred = Deferred<Value?>(file: file, line: line) { _ in withdrawal.target?.withdrawFromPending() }
        withdrawal.target = self
    }

    /// Lets `deferred`'s canceller reach this collector without a reference cycle.
    private final class Withdrawal: @unchecked Sendable {
        // Set once in `init`, before `deferred` can be shared.
        weak var target: ReducingFuture?
    }

    /// Creates a collector with a synchronous reducer; an error it throws rejects `deferred`.
    ///
    /// ```swift
    /// let total = ReducingFuture<Int> { $0.reduce(0, +) }
    /// ```
    public convenience init(
        batchSize: Int = 20, file: StaticString = #fileID, line: UInt = #line,
        reducer: @escaping @Sendable ([Value]) throws -> Value
    ) {
        self.init(batchSize: batchSize, file: file, line: line) { values -> Deferred<Value> in
            do {
                return .resolved(try reducer(values))
            } catch {
                return .rejected(error)
            }
        }
    }

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Adding

    /// Adds `input`: its value joins the reduction when it resolves.
    ///
    /// ```swift
    /// total.add(count(shard))
    /// ```
    public func add(_ input: Deferred<Value>) {
        lock.withLock {
            precondition(!isClosed, "ReducingFuture.add(_:) called after complete() or fail(_:)")
            pending += 1
        }
        follow(input)
    }

    /// Adds a value that is already known.
    ///
    /// ```swift
    /// total.put(0)
    /// ```
    public func put(_ value: Value, file: StaticString = #fileID, line: UInt = #line) {
        add(.resolved(value, file: file, line: line))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: `deferred` resolves once everything is reduced.
    ///
    /// ```swift
    /// total.complete()
    /// ```
    public func complete() {
        let step = lock.withLock { () -> Step in
            precondition(!isClosed, "ReducingFuture.complete() called after complete() or fail(_:)")
            isClosed = true
            return nextStep()
        }
        perform(step)
    }

    /// Rejects `deferred` with `error` now and withdraws from the inputs still pending (each one nobody
    /// else wants is cancelled). Cancelling `deferred` also withdraws from them.
    ///
    /// ```swift
    /// total.fail(ShardLost())
    /// ```
    public func fail(_ error: any Error) {
        lock.withLock {
            precondition(!isClosed, "ReducingFuture.fail(_:) called after complete() or fail(_:)")
            isClosed = true
            isDecided = true
        }
        deferred.settle(.failure(error))
        withdrawFromPending()
    }

    private func withdrawFromPending() {
        let pendingInputs = lock.withLock { inputs.takeForWithdrawal() }
        for input in pendingInputs { input.withdrawDependent(dependentID) }
    }

    // MARK: Reducing

    private enum Step {
        case wait
        case reduce([Value])
        case finish(Result<Value?, any Error>)
    }

    private func follow(_ input: Deferred<Value>) {
        let (index, withdrawn) = lock.withLock { (inputs.add(input), inputs.hasWithdrawn) }
        defer { if withdrawn { input.withdrawDependent(dependentID) } }
        input.addDependent(dependentID) { [self] result in
            let step = lock.withLock { () -> Step in
                inputs.settle(index)
                pending -= 1
                if isDecided { return .wait }
                switch result {
                case .success(let value):
                    ready.append(value)
                    return nextStep()
                case .failure(let error):
                    isDecided = true
                    return .finish(.failure(error))
                }
            }
            perform(step)
        }
    }

    /// Under the lock: what the values ready now call for.
    private func nextStep() -> Step {
        if isDecided { return .wait }
        if ready.count >= batchSize || (isClosed && pending == 0 && ready.count > 1) {
            let batch = ready
            ready = []
            pending += 1  // the reduction
            return .reduce(batch)
        }
        if isClosed && pending == 0 {
            isDecided = true
            return .finish(.success(ready.first))
        }
        return .wait
    }

    private func perform(_ step: Step) {
        switch step {
        case .wait:
            return
        case .reduce(let batch):
            follow(reducer(batch))
        case .finish(let result):
            deferred.settle(result)
            withdrawFromPending()
        }
    }
}

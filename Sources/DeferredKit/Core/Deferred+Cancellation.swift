// MARK: - Cancellation

/// A Deferred seen by the cancellation machinery, whatever its `Value`.
///
/// Cancellation follows interest. A Deferred's *dependents* are the Deferreds derived from it, the tasks
/// awaiting its value and the combinators that wait on it; `whenComplete` observers are permanent
/// dependents. When a dependent withdraws and it was the last one — and there is no permanent one — the
/// Deferred itself is cancelled, which may in turn withdraw it from what *it* waits on. That climb runs in
/// a loop (`CancelNode.runCancellation(of:withdrawing:)`), so a million-link pending chain cancels in constant stack.
@usableFromInline
protocol CancelNode: AnyObject, Sendable {
    /// Withdraws `dependent`'s observer. See `WithdrawOutcome`.
    func withdraw(dependent: UInt) -> WithdrawOutcome
    /// Starts this node's own cancellation (it is already marked): runs its canceller, cancels its
    /// producer, or withdraws from its source.
    func performCancel() -> CancelStep
    /// Ends this node's cancellation: when `force` (nothing will complete it from upstream) and it is
    /// still pending, removes the observer of `dependent` and rejects with `CancellationError` (a node
    /// whose producer decides its result only removes the observer). Returns the removed observer, boxed.
    func settleCancel(removing dependent: UInt?, force: Bool) -> Any?
}

@usableFromInline
enum WithdrawOutcome {
    /// The observer was removed; the source goes on for its other dependents. Carries the observer, boxed.
    case removed(Any)
    /// It was the last dependent: the observer stays, and the source is now marked as cancelled and
    /// must be cancelled by the caller, which then settles the withdrawing dependent.
    case last
    /// Nothing to withdraw: the source is complete (the observer has run or is about to), or the
    /// observer is not registered.
    case settled
}

@usableFromInline
enum CancelStep {
    /// Settle this node; `force` when nothing upstream will complete it.
    case settle(force: Bool)
    /// This node was the last dependent of `node`, which must be cancelled first.
    case climb(any CancelNode, dependent: UInt)
    /// The node is already complete.
    case done
}

/// A weak reference to the node a derived Deferred waits on, so that a dropped pending chain is freed.
@usableFromInline
struct WeakCancelNode {
    @usableFromInline weak var node: (any CancelNode)?

    @inlinable
    init(_ node: any CancelNode) { self.node = node }
}

extension CancelNode {
    /// Cancels `start` (already marked) and, climbing, every source whose last dependent withdrew; then
    /// settles them, from the top down, and passes `settled` the observer of `dependent` if `start` removed
    /// it without running it — the caller then owns that observer and must settle it (for an awaiting task:
    /// resume it with `CancellationError`).
    ///
    /// Cancellers may complete Deferreds. When observers are already running on this thread, the firing loop
    /// queues those completions, so the settling is queued behind them: a value a canceller supplies is
    /// delivered before anything is rejected with `CancellationError`, inside an observer as at top level.
    @usableFromInline
    static func runCancellation(
        of start: any CancelNode, withdrawing dependent: UInt?, settled: @escaping (Any?) -> Void
    ) {
        var frames: [(node: any CancelNode, dependent: UInt?)] = []
        var node = start
        var nodeDependent = dependent
        var force: Bool?
        climbing: while true {
            switch node.performCancel() {
            case .climb(let source, let myID):
                frames.append((node, nodeDependent))
                node = source
                nodeDependent = myID
            case .settle(let shouldForce):
                force = shouldForce
                break climbing
            case .done:
                force = nil
                break climbing
            }
        }
        let top = node
        let topDependent = nodeDependent
        let settle = { [frames] in
            var frames = frames
            var removed = force.flatMap { top.settleCancel(removing: topDependent, force: $0) }
            while let frame = frames.popLast() {
                // A node whose observer upstream removed will not be completed from upstream: reject it.
                removed = frame.node.settleCancel(removing: frame.dependent, force: removed != nil)
            }
            settled(removed)
        }
        FiringLoop.runAfterQueuedFirings(settle)
    }
}

extension Deferred: CancelNode {
    // MARK: Cancelling

    /// Cancels the Deferred if it is pending; does nothing if it is complete.
    ///
    /// The canceller (if any) runs once; if it does not complete the Deferred, the Deferred is rejected
    /// with `CancellationError`. A derived Deferred withdraws from the Deferred it waits on; that one is
    /// cancelled in turn only if nobody else depends on it, and if its canceller supplies a result, the
    /// derived Deferred completes from it as usual. A Deferred created from async work cancels the task
    /// and completes with whatever the task finally returns or throws.
    ///
    /// ```swift
    /// let thumbnail = image.map(makeThumbnail)
    /// thumbnail.cancel()   // `image` is cancelled too, unless someone else still wants it
    /// ```
    public func cancel() {
        guard markCancelRequested() else { return }
        Self.runCancellation(of: self, withdrawing: nil) { _ in }
    }

    /// Marks the Deferred as cancelled; `false` when it is complete or already cancelled.
    @usableFromInline
    func markCancelRequested() -> Bool {
        lock.withLock {
            if hasResult || flags.contains(.cancelRequested) { return false }
            flags.insert(.cancelRequested)
            return true
        }
    }

    @usableFromInline
    func performCancel() -> CancelStep {
        let current = lock.withLock { upstream }
        switch current {
        case .none:
            return .settle(force: true)
        case .canceller(let canceller):
            canceller(self)
            return .settle(force: true)
        case .producer(let cancelProducer):
            cancelProducer()
            return .settle(force: true)
        case .source(let weak):
            guard let source = weak.node else { return .settle(force: true) }
            switch source.withdraw(dependent: dependentID) {
            case .removed: return .settle(force: true)
            case .last: return .climb(source, dependent: dependentID)
            case .settled: return .settle(force: false)
            }
        case .completed:
            return .done
        }
    }

    @usableFromInline
    func settleCancel(removing dependent: UInt?, force: Bool) -> Any? {
        guard force else { return nil }
        let (removed, fire) = lock.withLock { () -> (Observer<Value>?, Bool) in
            if hasResult { return (nil, false) }
            var removed: Observer<Value>?
            if let dependent, let observer = observers.remove(dependent: dependent) {
                dependentCount -= 1
                removed = observer
            }
            if flags.contains(.awaitsProducer) { return (removed, false) }
            storedResult = .failure(CancellationError())
            upstream = .completed(at: creationSite)
            if observers.isEmpty { return (removed, false) }
            flags.insert(.firing)
            return (removed, true)
        }
        if fire { FiringLoop.fire(self) }
        return removed.map { $0 as Any }
    }

    // MARK: Dependents

    @usableFromInline
    func withdraw(dependent: UInt) -> WithdrawOutcome {
        lock.withLock {
            if hasResult { return .settled }
            guard observers.contains(dependent: dependent) else { return .settled }
            if dependentCount == 1, !flags.contains(.hasPermanentDependent), !flags.contains(.cancelRequested) {
                flags.insert(.cancelRequested)
                return .last
            }
            let observer = observers.remove(dependent: dependent)!
            dependentCount -= 1
            return .removed(observer)
        }
    }

    /// Registers a withdrawable dependent: `callback` receives the result unless `dependent` withdraws.
    ///
    /// Combinators and bridges use this instead of `whenComplete`, so that they can give up their interest.
    @inlinable
    func addDependent(_ dependent: UInt, _ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        addObserver(Observer(dependent: dependent, callback: callback))
    }

    /// Marks an error as received, for a utility that rejected this Deferred on purpose and reports the
    /// outcome another way (a stopped job queue, for example): it is then not reported as unhandled.
    @usableFromInline
    func markErrorHandled() {
        lock.withLock { _ = flags.remove(.errorUnobserved) }
    }

    /// Registers an observer that expresses no interest: it does not keep the Deferred from being
    /// cancelled when its dependents withdraw, and it cannot withdraw. It runs like any observer.
    @inlinable
    func addPassiveObserver(_ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        addObserver(Observer(dependent: Observer<Value>.passive, callback: callback))
    }

    /// Withdraws `dependent`. If it was the last dependent, the Deferred is cancelled (rule: cancellation
    /// follows interest); if the Deferred's canceller then completes it, the observer still runs with that
    /// result. When the observer is removed without running, `ifRemoved` receives it — at once, or, when
    /// the withdrawal cancelled the Deferred, once the cancellation has settled — and the caller settles it.
    @usableFromInline
    func withdrawDependent(_ dependent: UInt, ifRemoved: @escaping (Observer<Value>) -> Void = { _ in }) {
        switch withdraw(dependent: dependent) {
        case .removed(let observer):
            ifRemoved(observer as! Observer<Value>)
        case .settled:
            return
        case .last:
            Self.runCancellation(of: self, withdrawing: dependent) { removed in
                if let removed { ifRemoved(removed as! Observer<Value>) }
            }
        }
    }
}
